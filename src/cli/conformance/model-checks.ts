import { openCheckpoint, readTensor, readTensorFloat32, type Checkpoint } from '../../checkpoint/index';
import { optimize, serialize, type Graph, type GraphData } from '../../graph';
import type { HostTensor, Runtime, Session } from '../../runtime';
import { compareArrays, guard } from './results';
import type { CheckResult, GroupContext } from './types';

/** Reference tensors of a group as float arrays (integer dtypes widened), read once. */
export type Refs = ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>;

export async function readRefs(ctx: GroupContext): Promise<Refs> {
  const file = ctx.manifest.reference_file;
  if (!file) throw new Error(`manifest of ${ctx.manifest.group} names no reference_file`);
  return ctx.dir.withSource(ctx.path(file), async (source) => {
    const out = new Map<string, { shape: readonly number[]; data: Float32Array }>();
    for (const [name, t] of (await openCheckpoint(source)).tensors) {
      const data = t.dtype === 'F32' || t.dtype === 'F64' || t.dtype === 'F16' ? await readTensorFloat32(t) : Float32Array.from(await readTensor(t), Number);
      out.set(name, { shape: t.shape, data });
    }
    return out;
  });
}

export function ref(refs: Refs, name: string): Float32Array {
  const t = refs.get(name);
  if (!t) throw new Error(`reference tensor ${name} is missing`);
  return t.data;
}

/** max |a − ref| against tolerance · max |ref| (the measure). */
export function relCheck(group: string, name: string, actual: ArrayLike<number>, reference: ArrayLike<number>, tolerance: number): CheckResult {
  const { maxAbs, maxRel } = compareArrays(actual, reference);
  return { group, name, maxAbs, maxRel, tolerance, on: 'rel', pass: maxRel <= tolerance };
}

/** A session of an optimised graph. */
export const sessionOf = (runtime: Runtime, graph: Graph): Promise<Session> => runtime.createSession(serialize(optimize(graph)));

/** Runs a graph once on a fresh session and disposes of it. */
export const runOnce = (runtime: Runtime, graph: Graph, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> => runOptimized(runtime, optimize(graph), feeds);

/** runOnce for a graph already optimised (a check that also inspects it). */
export async function runOptimized(runtime: Runtime, graph: GraphData, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
  const session = await runtime.createSession(serialize(graph));
  try {
    return await session.run(feeds);
  } finally {
    await session.dispose();
  }
}

/** Opens a file of the fixture directory (any group's) as a checkpoint for the duration of `work`. */
export const withCheckpoint = <T>(ctx: GroupContext, path: string, work: (ck: Checkpoint) => Promise<T>): Promise<T> =>
  ctx.dir.withSource(path, async (source) => work(await openCheckpoint(source)));

/** Reads the group's references and runs `body` on them; an unreadable file is one FAIL line. */
export async function* withRefs(ctx: GroupContext, body: (refs: Refs) => AsyncIterable<CheckResult>): AsyncIterable<CheckResult> {
  const refs = await readRefs(ctx).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  if (refs instanceof Error) {
    yield await guard(ctx.manifest.group, 'reference tensors read', () => Promise.reject(refs));
    return;
  }
  yield* body(refs);
}
