import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Graph, optimize, serialize } from '../src/graph';
import { buildLpipsTermGraph, convIndices, LPIPS_TERM, lpips, type LpipsModel } from '../src/models/lpips/index';
import { SeededWeights } from '../src/models/weights';
import { hostTensor, type HostTensor, type Runtime } from '../src/runtime';
import { createRng } from '../src/sampling/rng';
import { countFlops, gflopsFigure } from './flops';
import { withPeakRss } from './peak-rss';
import type { Benchmark, Figure } from './run';

const SIZE = 256;
/** torchvision's VGG16 widths per conv of `features` (cfg 'D'). */
const VGG16_WIDTHS = [64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512];
/** The upstream figures: lpips 0.1.4 on torch 1.13 CPU, 2 threads, this machine, x_in and init 1×3×256×256. */
const TORCH = { forwardS: 0.35, gradientS: 0.59 };
/** sample.py's default init_scale: the gradient is the VJP with this cotangent. */
const INIT_SCALE = 1000;

const model: LpipsModel = {
  config: { convWidths: new Map(convIndices().map((index, i) => [index, VGG16_WIDTHS[i]!])), tapWidths: [64, 128, 256, 512, 512] },
  weights: new SeededWeights(20261207),
};

/** LPIPS(x_in, init) alone. */
function forwardGraph(): Graph {
  const g = new Graph('lpips');
  const { total } = lpips(model, g.input(LPIPS_TERM.xIn, 'float32', [1, 3, SIZE, SIZE]), g.input(LPIPS_TERM.init, 'float32', [1, 3, SIZE, SIZE]));
  g.output(total, LPIPS_TERM.loss);
  return g;
}

/** Two warm-up runs, then the median of five. */
async function timed(runtime: Runtime, graph: Graph, feeds: Record<string, HostTensor>): Promise<{ ms: number; flops: number }> {
  const optimized = optimize(graph);
  const session = await runtime.createSession(serialize(optimized));
  try {
    for (let i = 0; i < 2; i++) await session.run(feeds);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await session.run(feeds);
      times.push(performance.now() - t0);
    }
    return { ms: times.sort((a, b) => a - b)[2]!, flops: countFlops(optimized) };
  } finally {
    await session.dispose();
  }
}

/** The guided step this machine last measured on the same backend (bench/results/sample-step.json holds both), if any. */
function guidedStepS(backend: string): number | undefined {
  const file = join(import.meta.dirname, 'results', 'sample-step.json');
  if (!existsSync(file)) return undefined;
  const figures = (JSON.parse(readFileSync(file, 'utf8')) as { figures: Record<string, { value: number }> }).figures;
  return figures[`${backend}_step_s`]?.value;
}

const bench: Benchmark = {
  description: 'the init image\'s LPIPS-VGG term at the seed\'s size (x_in and init 1×3×256×256, VGG16 widths, seeded weights): forward, and forward with d(init_scale·LPIPS)/dx_in, in Node, against lpips on torch 1.13 CPU',
  async run(_args, context) {
    const rng = createRng(5);
    const image = () => hostTensor('float32', [1, 3, SIZE, SIZE], rng.fillNormal(new Float32Array(3 * SIZE * SIZE)).map((v) => Math.max(-1, Math.min(1, 0.5 * v))));
    const feeds = { [LPIPS_TERM.xIn]: image(), [LPIPS_TERM.init]: image() };
    const forward = await withPeakRss(() => timed(context.runtime(), forwardGraph(), feeds));
    // The graph the guidance runs each step: the loss and d(init_scale · LPIPS)/dx_in.
    const termFeeds = { ...feeds, [LPIPS_TERM.scale]: hostTensor('float32', [1, 1, 1, 1], Float32Array.of(INIT_SCALE)) };
    const gradient = await withPeakRss(() => timed(context.runtime(), buildLpipsTermGraph(model, { height: SIZE, width: SIZE }), termFeeds));
    const gradientS = gradient.result.ms / 1000;
    const step = guidedStepS(context.backend);
    const figures: Record<string, Figure> = {
      forward_s: { value: +(forward.result.ms / 1000).toFixed(3), unit: 's' },
      gradient_s: { value: +gradientS.toFixed(3), unit: 's', ...(context.backend === 'native' ? { target: `<= ${TORCH.gradientS} (torch)`, pass: gradientS <= TORCH.gradientS } : {}) },
      forward_of_torch: { value: +(forward.result.ms / 1000 / TORCH.forwardS).toFixed(2), unit: `× torch's ${TORCH.forwardS} s` },
      gradient_of_torch: { value: +(gradientS / TORCH.gradientS).toFixed(2), unit: `× torch's ${TORCH.gradientS} s` },
      gflops_forward: gflopsFigure(forward.result.flops, forward.result.ms),
      gflops_gradient: gflopsFigure(gradient.result.flops, gradient.result.ms),
      peak_rss_gradient: { value: gradient.peakMiB, unit: 'MiB' },
      ...(step ? { share_of_guided_step: { value: +(gradientS / (step + gradientS)).toFixed(3), unit: `of a guided step (${step} s without it, bench/results/sample-step)` } } : {}),
    };
    const notes = [
      'both trunk passes (x_in and init) in every run, as lpips does; median of 5 runs after 2 warm-up runs',
      `torch figures from the issue: lpips 0.1.4, torch 1.13 CPU, 2 threads (forward ${TORCH.forwardS} s, gradient ${TORCH.gradientS} s)`,
    ];
    return { figures, notes };
  },
};

export default bench;
