import { Graph, matmul, serialize } from '../src/graph';
import { hostTensor, type Runtime } from '../src/runtime';
import { createRng } from '../src/sampling/rng';

/**
 * The reference rate bench/run.ts measures just before and just after every bench, in the same
 * process and on the bench's backend: one 2048×2048×2048 float32 MatMul (17.2 GFLOP), written with
 * our graph builder. Figures taken while the rate moved are not figures of the code.
 */
const N = 2048;
const FLOPS = 2 * N ** 3;
const RUNS = 5;
const WARM_UP_MS = 1000;

/** Two probes further apart than this (the faster over the slower, minus 1) mean the machine was busy. */
export const PROBE_TOLERANCE = 0.15;

function matmulModel(): Uint8Array {
  const g = new Graph('matmul-probe');
  g.output(matmul(g.input('a', 'float32', [N, N]), g.input('b', 'float32', [N, N])), 'c');
  return serialize(g);
}

/** GFLOP/s of the MatMul: the median of RUNS runs after a second of warm-up runs. */
export async function matmulGflops(runtime: Runtime): Promise<number> {
  const rng = createRng(2048);
  const operand = () => hostTensor('float32', [N, N], rng.fillNormal(new Float32Array(N * N)));
  const feeds = { a: operand(), b: operand() };
  const session = await runtime.createSession(matmulModel());
  try {
    // Warm up for a second at least: the first runs of a process (thread pool, first-touched memory) are slower.
    for (const t0 = performance.now(); performance.now() - t0 < WARM_UP_MS; ) await session.run(feeds);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await session.run(feeds);
      times.push(performance.now() - t0);
    }
    const median = times.sort((x, y) => x - y)[Math.floor(RUNS / 2)]!;
    return +(FLOPS / 1e6 / median).toFixed(2);
  } finally {
    await session.dispose();
  }
}

/** How far apart two probes are: the faster over the slower, minus 1 (0.15 = 15 %). */
export const probeSpread = (before: number, after: number): number => Math.max(before, after) / Math.min(before, after) - 1;
