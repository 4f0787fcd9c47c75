import * as ort from 'onnxruntime-web';
import { type Graph, serialize } from '../../src/graph';
import { createRuntime, type HostTensor, type Runtime } from '../../src/runtime';

/** onnxruntime-web's wasm EP under Node: the same kernels the browser's fallback runs. */
export const wasmRuntime = (): Runtime => createRuntime(ort, { threads: 1 });

/** Serialises a graph, runs it once on the wasm EP and returns every output. */
export async function runGraph(graph: Graph, feeds: Record<string, HostTensor> = {}): Promise<Record<string, HostTensor>> {
  const session = await wasmRuntime().createSession(serialize(graph));
  try {
    return await session.run(feeds);
  } finally {
    await session.dispose();
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
