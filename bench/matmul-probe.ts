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
const RUNS = 15;

/** Two probes further apart than this (the faster over the slower, minus 1) mean the machine was busy. */
export const PROBE_TOLERANCE = 0.15;

function matmulModel(): Uint8Array {
  const g = new Graph('matmul-probe');
  g.output(matmul(g.input('a', 'float32', [N, N]), g.input('b', 'float32', [N, N])), 'c');
  return serialize(g);
}

/** Runs before the first timed ones (thread pool start, first-touched memory). */
const WARM_UP_MS = 3000;

export interface MatmulProbe {
  /** GFLOP/s now. */
  measure(): Promise<number>;
  dispose(): Promise<void>;
}

/**
 * The probe's session and operands, made once before the bench and measured again after it, so
 * the two figures differ only by what the machine does: a second session made after the bench
 * would sit in a grown, fragmented wasm heap (wasm probes made one after another in one process
 * read 51, 51, 54, 47, 45, 44 GFLOP/s).
 *
 * A measure is the third-fastest of RUNS runs. On this kind of machine (2 vCPUs of a shared host)
 * single runs drop to half speed at random: medians of back-to-back probes read 129–257 GFLOP/s
 * where the fastest runs read 247–264. A rate near the top measures what the machine can do, and
 * it still falls when other work holds a core throughout.
 */
export async function openMatmulProbe(runtime: Runtime): Promise<MatmulProbe> {
  const rng = createRng(2048);
  const operand = () => hostTensor('float32', [N, N], rng.fillNormal(new Float32Array(N * N)));
  const feeds = { a: operand(), b: operand() };
  const session = await runtime.createSession(matmulModel());
  for (const t0 = performance.now(); performance.now() - t0 < WARM_UP_MS; ) await session.run(feeds);
  return {
    async measure() {
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        await session.run(feeds);
        times.push(performance.now() - t0);
      }
      return +(FLOPS / 1e6 / times.sort((x, y) => x - y)[2]!).toFixed(2);
    },
    dispose: () => session.dispose(),
  };
}

/** How far apart two probes are: the faster over the slower, minus 1 (0.15 = 15 %). */
export const probeSpread = (before: number, after: number): number => Math.max(before, after) / Math.min(before, after) - 1;
