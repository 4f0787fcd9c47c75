import { serialize } from '../src/graph';
import { createRng } from '../src/sampling/index';
import { adamWState, adamWStep, microbatchFeeds, stepGradients, updateEma, type Microbatch, type Tensors } from '../src/training/index';
import { onAnchor } from './anchor';
import { countFlops } from './flops';
import { FULL_SIZE, unetTraining } from './full-size-graphs';
import { withPeakRss } from './peak-rss';
import type { Benchmark, Figure } from './run';

/** Upstream's TrainLoop step at these settings (torch 1.13 CPU, 2 threads; issue 22's anchor). */
const TORCH_STEP_S = 13.3;
const STEPS = 3;

const s = (ms: number): Figure => ({ value: +(ms / 1000).toFixed(2), unit: 's' });

const bench: Benchmark = {
  description: "one fine-tuning step of the recipe's UNet (the art model's layout, 256², batch 1, fp32, seeded weights): the training graph's forward and every parameter's gradient, then AdamW and one EMA, in Node",
  async run(_args, context) {
    const config = FULL_SIZE.unetConfig;
    const { graph: optimized, params, inputShapes, schedule } = unetTraining();
    const gflop = countFlops(optimized) / 1e9;
    const model = serialize(optimized);
    const ema: Tensors = new Map([...params].map(([n, p]) => [n, p.slice()]));
    const state = adamWState(params);
    const rng = createRng(5);
    const image = [1, 3, config.imageSize, config.imageSize];
    const draw = (): Microbatch => ({ xStart: rng.fillNormal(new Float32Array(3 * config.imageSize ** 2)).map((v) => Math.tanh(v)), noise: rng.fillNormal(new Float32Array(3 * config.imageSize ** 2)), t: [Math.floor(rng.uniform() * 1000)], weights: [1] });
    const { result, peakMiB } = await withPeakRss(async () => {
      const session = await context.runtime().createSession(model);
      try {
        const times: { graph: number; optimiser: number }[] = [];
        for (let k = 0; k < STEPS; k++) {
          const t0 = performance.now();
          const { grads } = await stepGradients((f) => session.run(f), (m) => microbatchFeeds(schedule, params, inputShapes, m, image), params, [draw()]);
          const t1 = performance.now();
          adamWStep(params, grads, state, { lr: 5e-6, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
          updateEma(ema, params, 0.9999);
          times.push({ graph: t1 - t0, optimiser: performance.now() - t1 });
        }
        return times.at(-1)!;
      } finally {
        await session.dispose();
      }
    });
    const stepMs = result.graph + result.optimiser;
    const anchored = context.backend === 'native' ? onAnchor('native', stepMs / 1000, context.matmulGflops) : undefined;
    const figures: Record<string, Figure> = {
      gflop_per_step: { value: +gflop.toFixed(0), unit: 'GFLOP' },
      step_s: s(stepMs),
      graph_s: s(result.graph),
      optimiser_and_ema_s: s(result.optimiser),
      ...(anchored !== undefined && { step_on_anchor_s: { value: +anchored.toFixed(2), unit: 's (scaled by the MatMul probe to the machine torch was timed on)', target: `<= ${TORCH_STEP_S}`, pass: anchored <= TORCH_STEP_S } }),
      peak_rss: { value: peakMiB, unit: 'MiB' },
    };
    const notes = [
      `${STEPS} steps back to back (one microbatch of 1: guided-diffusion's batch 1), the figures are the last one's; graph = feeds (parameters as inputs), forward, the VJP to every parameter and the gradients out; optimiser = torch's single-tensor AdamW in JS plus one EMA (0.9999)`,
      `upstream: ${TORCH_STEP_S} s per step (torch 1.13 CPU, 2 threads, issue 22), held against our step scaled to that machine by the MatMul probe (bench/anchor.ts)`,
    ];
    return { figures, notes };
  },
};

export default bench;
