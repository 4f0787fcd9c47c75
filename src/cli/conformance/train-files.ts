import { concatBytes } from '../../bytes/concat';
import { isDict, isTensor, memorySource, openCheckpoint, openTorchObject, readTensorFloat32, type PyValue } from '../../checkpoint/index';
import { openZip } from '../../checkpoint/zip';
import { stateDictParts, type ParamShapes } from '../../training/index';
import { exact } from './results';
import type { CheckResult, GroupContext } from './types';

/**
 * The train group's file checks: what TrainLoop.save() wrote, as the manifest records it
 * (checkpoint_files, saved_files, progress_csv), against the files our loop writes; and our
 * torch.save writer against a saved file itself.
 */

/** A file TrainLoop saved, as settings.cases.X.checkpoint_files records it. */
export interface FileRecord {
  readonly bytes: number;
  readonly zip_entries: number;
  readonly zip_top_folder: readonly string[];
  readonly first_entries: readonly string[];
  readonly n_tensors?: number;
  readonly top_keys?: readonly string[];
  readonly state_keys_of_param0?: readonly string[];
  readonly state_step?: number;
  readonly param_groups?: readonly Readonly<Record<string, unknown>>[];
}

const sameList = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

const keysOf = (d: PyValue): string[] => (isDict(d) ? [...d.keys()].map(String).sort() : []);

/** A param group's fields as the manifest writes them: floats compared to 1e-12 relative, `params` as "list(range(n))". */
function groupMismatch(ours: PyValue, recorded: Readonly<Record<string, unknown>>): string | undefined {
  if (!isDict(ours)) return 'no param group';
  for (const [key, want] of Object.entries(recorded)) {
    const got = ours.get(key);
    if (key === 'params') {
      const n = Array.isArray(got) ? got.length : -1;
      const ok = Array.isArray(got) && got.every((v, i) => v === i) && want === `list(range(${n}))`;
      if (!ok) return `params ${n} indices, recorded ${String(want)}`;
    } else if (typeof want === 'number') {
      if (typeof got !== 'number' || Math.abs(got - want) > 1e-12 * Math.abs(want)) return `${key} ${String(got)}, recorded ${want}`;
    } else if (Array.isArray(want)) {
      if (!Array.isArray(got) || !sameList(got, want)) return `${key} ${JSON.stringify(got)}, recorded ${JSON.stringify(want)}`;
    } else if (got !== want) return `${key} ${String(got)}, recorded ${String(want)}`;
  }
  return undefined;
}

/** One file our loop saved against its record: size to the byte, zip layout, and what torch.load would find in it. */
export async function savedFileChecks(group: string, label: string, parts: readonly Uint8Array[], record: FileRecord): Promise<CheckResult[]> {
  const bytes = concatBytes(parts);
  const zip = await openZip(memorySource(bytes));
  const names = [...zip.entries.keys()];
  const out = [
    exact(group, `${label}: ${bytes.length} bytes`, bytes.length === record.bytes ? 0 : Infinity, `recorded ${record.bytes}`),
    exact(group, `${label}: zip layout (${names.length} entries, ${names.slice(0, record.first_entries.length).join(', ')})`,
      names.length === record.zip_entries && sameList(names.slice(0, record.first_entries.length), record.first_entries) && sameList([...new Set(names.map((n) => n.split('/')[0]))], record.zip_top_folder) ? 0 : Infinity,
      `recorded ${record.zip_entries} entries, ${record.first_entries.join(', ')}`),
  ];
  if (record.n_tensors !== undefined) {
    const ck = await openCheckpoint(memorySource(bytes));
    out.push(exact(group, `${label}: ${ck.tensors.size} tensors`, ck.tensors.size === record.n_tensors ? 0 : Infinity, `recorded ${record.n_tensors}`));
  }
  if (record.top_keys) {
    const root = await openTorchObject(memorySource(bytes));
    const state = isDict(root) ? root.get('state') : undefined;
    const first = state !== undefined && isDict(state) ? state.get(0) : undefined;
    const step = first !== undefined && isDict(first) ? first.get('step') : undefined;
    const stepValue = step !== undefined && isTensor(step) ? (await readTensorFloat32(step))[0] : undefined;
    const groups = isDict(root) ? root.get('param_groups') : undefined;
    const mismatch = Array.isArray(groups) && record.param_groups ? groups.map((g, i) => groupMismatch(g, record.param_groups![i] ?? {})).find(Boolean) : 'no param groups';
    out.push(
      exact(group, `${label}: keys ${keysOf(root).join(', ')}; state[0] ${first !== undefined ? keysOf(first).join(', ') : '(none)'}`,
        sameList(keysOf(root), [...record.top_keys].sort()) && sameList(first !== undefined ? keysOf(first) : [], [...(record.state_keys_of_param0 ?? [])].sort()) ? 0 : Infinity),
      exact(group, `${label}: state step ${stepValue}`, Math.abs((stepValue ?? NaN) - (record.state_step ?? NaN))),
      exact(group, `${label}: param_groups`, mismatch ? Infinity : 0, mismatch),
    );
  }
  return out;
}

/**
 * A file TrainLoop saved (nn.Parameters and the start checkpoint's `_metadata`), written again by our
 * torch.save from the tensors and metadata our reader found in it: the same bytes or not.
 */
export async function rewriteCheck(ctx: GroupContext, file: string, shapes: ParamShapes): Promise<CheckResult> {
  const group = ctx.manifest.group;
  return ctx.dir.withSource(ctx.path(file), async (source) => {
    const original = await source.read(0, source.size);
    const ck = await openCheckpoint(memorySource(original));
    const params = new Map(await Promise.all([...shapes.keys()].map(async (n) => [n, await readTensorFloat32(ck.tensors.get(n)!)] as const)));
    const rewritten = concatBytes(stateDictParts(params, shapes, ck.moduleMetadata));
    let first = rewritten.length === original.length ? -1 : Math.min(rewritten.length, original.length);
    for (let i = 0; i < Math.min(rewritten.length, original.length) && first < 0; i++) if (rewritten[i] !== original[i]) first = i;
    return exact(group, `${file}: torch.save written again from its tensors is the same ${original.length} bytes`, first < 0 ? 0 : Infinity, first < 0 ? undefined : `first difference at byte ${first} (${rewritten.length} bytes written)`);
  });
}

/** progress.csv: the header exactly, each cell empty where the recorded one is, ints exactly, floats to `tol(row)` relative. */
export function progressCsvCheck(group: string, label: string, ours: string, recorded: readonly string[], tol: (row: number) => number): CheckResult {
  const lines = ours.trimEnd().split('\n');
  if (lines[0] !== recorded[0] || lines.length !== recorded.length) {
    return exact(group, `${label}: header and ${lines.length - 1} rows`, Infinity, `ours "${lines[0]}" with ${lines.length - 1} rows, recorded "${recorded[0]}" with ${recorded.length - 1}`);
  }
  let worst = 0;
  let where = '';
  const header = recorded[0]!.split(',');
  for (let r = 1; r < recorded.length; r++) {
    const [a, b] = [lines[r]!.split(','), recorded[r]!.split(',')];
    a.forEach((cell, c) => {
      const want = b[c] ?? '';
      const e = cell === '' || want === '' ? (cell === want ? 0 : Infinity)
        : /^-?\d+$/.test(want) ? (cell === want ? 0 : Infinity)
        : (Math.abs(Number(cell) - Number(want)) / Math.max(Math.abs(Number(want)), 1e-30)) * (tol(1) / tol(r));
      if (!(e <= worst)) [worst, where] = [Number.isNaN(e) ? Infinity : e, `row ${r}, ${header[c]}: ${cell} vs ${want}`];
    });
  }
  return { group, name: `${label} (${recorded.length - 1} rows)`, maxAbs: worst, maxRel: worst, tolerance: tol(1), on: 'rel', pass: worst <= tol(1), ...(where && { detail: `worst ${where}` }) };
}
