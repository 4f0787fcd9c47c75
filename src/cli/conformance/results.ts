import type { CheckResult, Uninterpreted } from './types';

/** max |a - b|, max |b| (the reference) and their ratio, over equal-length arrays. */
export function compareArrays(actual: ArrayLike<number>, reference: ArrayLike<number>): { maxAbs: number; maxRel: number; maxRef: number } {
  if (actual.length !== reference.length) return { maxAbs: Infinity, maxRel: Infinity, maxRef: NaN };
  let maxAbs = 0;
  let maxRef = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - reference[i]!);
    // NaN differences must fail, and Math.max would keep a NaN only if it came first.
    maxAbs = Number.isNaN(d) ? Infinity : Math.max(maxAbs, d);
    maxRef = Math.max(maxRef, Math.abs(reference[i]!));
  }
  return { maxAbs, maxRel: maxAbs === 0 ? 0 : maxAbs / (maxRef || 1), maxRef };
}

/** A check whose error is a count or a difference that must be exactly 0 (checkpoint contents). */
export function exact(group: string, name: string, error: number, detail?: string): CheckResult {
  return { group, name, maxAbs: error, maxRel: error === 0 ? 0 : 1, tolerance: 0, on: 'abs', pass: error === 0, ...(detail === undefined ? {} : { detail }) };
}

/** Runs one check; an exception becomes a FAIL line naming the error instead of ending the run. */
export async function guard(group: string, name: string, check: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await check();
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    return { ...exact(group, name, Infinity), detail: `${e.name}: ${e.message}` };
  }
}

/** `guard` for a step that yields several results at once. */
export async function guardMany(group: string, name: string, checks: () => Promise<CheckResult[]>): Promise<CheckResult[]> {
  try {
    return await checks();
  } catch (err) {
    return [await guard(group, name, () => Promise.reject(err as Error))];
  }
}

/** Compares named dimensions of named tensors; returns the number of mismatches and what they were. */
export function shapeMismatches(actual: ReadonlyMap<string, readonly number[]>, expected: Readonly<Record<string, readonly number[]>>): { count: number; detail: string } {
  const bad = Object.entries(expected).filter(([name, shape]) => {
    const got = actual.get(name);
    return !got || got.length !== shape.length || got.some((d, i) => d !== shape[i]);
  });
  const detail = bad.map(([name, shape]) => `${name}: [${actual.get(name)?.join(', ') ?? 'missing'}] != [${shape.join(', ')}]`).join('; ');
  return { count: bad.length, detail };
}

const num = (x: number): string => (x === 0 ? '0' : Number.isFinite(x) ? x.toExponential(2) : String(x));

export function formatResult(r: CheckResult): string {
  const cells = [r.pass ? 'PASS' : 'FAIL', r.group.padEnd(9), r.name.padEnd(52), `abs ${num(r.maxAbs).padEnd(8)}`, `rel ${num(r.maxRel).padEnd(8)}`, `tol ${r.on} ${num(r.tolerance)}`];
  return cells.join('  ') + (r.detail ? `  (${r.detail})` : '');
}

/** max |a − b| / max(1, max |b|): the fixture README's per-step measure for trajectories. */
export function stepError(actual: ArrayLike<number>, reference: ArrayLike<number>): number {
  const { maxAbs } = compareArrays(actual, reference);
  let scale = 1;
  for (let i = 0; i < reference.length; i++) scale = Math.max(scale, Math.abs(reference[i]!));
  return maxAbs / scale;
}

/** A check whose error is already relative (`stepError`, per-element ratios). */
export const relResult = (group: string, name: string, error: number, tolerance: number, detail?: string): CheckResult =>
  ({ group, name, maxAbs: error, maxRel: error, tolerance, on: 'rel', pass: error <= tolerance, ...(detail === undefined ? {} : { detail }) });

/** A FAIL line for what the harness could not interpret: never a silent skip. */
export const cannotInterpret = (group: string, u: Uninterpreted): CheckResult => exact(group, u.what, Infinity, `cannot interpret: ${u.why}`);
