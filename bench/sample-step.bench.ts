import { optimize, serialize, type Graph } from '../src/graph';
import { clipShapes, seededArrays } from '../src/models/demo/index';
import { buildGuidanceGraph } from '../src/models/guidance/index';
import { buildGuidedUnetGraph, buildUnetGraph, resolveConfig, UNET_PRESETS, unetParameterShapes } from '../src/models/unet/index';
import { ArrayWeights } from '../src/models/weights';
import { guidedModel, sessionSwap, subBatchOf } from '../src/pipeline/index';
import { hostTensor, type Runtime } from '../src/runtime';
import { applyScaleMultiplier, coefficientsAt, createRng, createSchedule, ddimStep, modelTimestep, predXstartOf, splitModelOutput } from '../src/sampling/index';
import { VIT_B16 } from './full-size-configs';
import { withPeakRss } from './peak-rss';
import type { Benchmark, Figure } from './run';

const SIZE = 256;
const SHAPE = [1, 3, SIZE, SIZE] as const;

type Kind = 'unet' | 'unet_guided' | 'guidance';

/** The pipeline's one-session-at-a-time mode (the three graphs do not fit one 4 GiB wasm heap), with run and creation times kept apart. */
function timedSwap(runtime: Runtime, models: Record<Kind, Uint8Array>) {
  const ms: Record<string, number> = { unet: 0, unet_guided: 0, guidance: 0, sessions: 0 };
  const swap = sessionSwap(runtime, { onCreate: (_key, t) => (ms.sessions! += t), onRun: (key, t) => (ms[key]! += t) });
  const session = (kind: Kind) => swap.session(kind, () => Promise.resolve(models[kind]));
  return { session, ms, dispose: () => swap.dispose() };
}

const bytesOf = (graph: Graph): Uint8Array => serialize(optimize(graph));

/** One guided DDIM step at the first default step (index 44, t = 880) through the pipeline's guided model. */
async function oneStep(runtime: Runtime, models: Record<Kind, Uint8Array>, cutn: number, batches: number, sub: number) {
  const sessions = timedSwap(runtime, models);
  const schedule = createSchedule({ steps: 1000, respacing: 'ddim50' });
  const rng = createRng(7);
  const x = rng.fillNormal(new Float32Array(3 * SIZE * SIZE));
  const targets = { embeds: hostTensor('float32', [2, 512], rng.fillNormal(new Float32Array(1024))), weights: hostTensor('float32', [2], Float32Array.of(1.3333334, -0.33333334)) };
  const scales = applyScaleMultiplier({ clipGuidanceScale: 5000, tvScale: 100, rangeScale: 150, saturationScale: 0, initScale: 0 }, 50);
  const setup = { schedule, geometry: { height: SIZE, width: SIZE, cutSize: 224, cutn }, cutnBatches: batches, skipAugs: false, scales, targets, rng, clampGrad: true, subBatch: sub };
  const { model, condFn } = guidedModel({ unet: sessions.session('unet'), unetGuided: sessions.session('unet_guided'), guidance: sessions.session('guidance') }, setup, SHAPE);
  const index = 44;
  const t = modelTimestep(schedule, index);
  try {
    const t0 = performance.now();
    const out = await model(x, t, { step: 0, index });
    const c = coefficientsAt(schedule, index);
    const predXstart = predXstartOf(c, x, splitModelOutput(out, SHAPE).eps, false);
    const condGrad = await condFn(x, t, { step: 0, index });
    ddimStep({ c, x, predXstart, eta: 0, noise: rng.fillNormal(new Float32Array(x.length)), condGrad });
    return { totalMs: performance.now() - t0, ms: sessions.ms as Record<Kind | 'sessions', number> };
  } finally {
    await sessions.dispose();
  }
}

const s = (ms: number): Figure => ({ value: +(ms / 1000).toFixed(1), unit: 's' });

const bench: Benchmark = {
  description: 'one guided sampling step at the seed defaults (256², art UNet and ViT-B/16 with seeded weights, augmented cutouts, sub-batched guidance) in Node (native onnxruntime or --backend wasm)',
  async run(args, context) {
    const configs = args.length > 0 ? [[Number(args[0]), Number(args[1] ?? 1), Number(args[2] ?? 10)]] : [[30, 4, 10], [16, 1, 8]];
    const config = resolveConfig(UNET_PRESETS['256x256_clip_diffusion_art']!.flags);
    const unetWeights = new ArrayWeights(seededArrays(unetParameterShapes(config), 11), 'seeded UNet');
    const clip = { architecture: VIT_B16, weights: seededArrays(clipShapes(VIT_B16).filter(([n]) => n.startsWith('visual.')), 12) };
    const figures: Record<string, Figure> = {};
    const notes = ['sessions are held one at a time (pipeline oneSessionAtATime), creation timed apart: the UNet forward (~475 MB weights), its VJP graph and the ViT-B/16 guidance graph were not tried together in one 4 GiB wasm heap (the guidance graph alone peaks at ~3.3 GB RSS for 10 cutouts)'];
    for (const [cutn, batches, limit] of configs as [number, number, number][]) {
      const sub = subBatchOf(cutn, limit);
      const models = {
        unet: bytesOf(buildUnetGraph(config, unetWeights)), unet_guided: bytesOf(buildGuidedUnetGraph(config, unetWeights)),
        guidance: bytesOf(buildGuidanceGraph(clip, { image: { height: SIZE, width: SIZE }, cutn: sub, targets: 2, lossFn: 'spherical', augment: true })),
      };
      const { result, peakMiB } = await withPeakRss(() => oneStep(context.runtime(), models, cutn, batches, sub));
      const { ms } = result;
      const tag = `cutn${cutn}x${batches}`;
      figures[`${tag}_step`] = s(result.totalMs - ms.sessions);
      figures[`${tag}_unet_forward_and_vjp`] = s(ms.unet + ms.unet_guided);
      figures[`${tag}_clip_gradient`] = s(ms.guidance);
      figures[`${tag}_rest`] = s(result.totalMs - ms.sessions - ms.unet - ms.unet_guided - ms.guidance);
      figures[`${tag}_session_swaps`] = s(ms.sessions);
      figures[`${tag}_peak_rss`] = { value: peakMiB, unit: 'MiB' };
      notes.push(`${tag}: ${cutn / sub} sub-batches of ${sub} cutouts per cutn batch`);
    }
    return { figures, notes };
  },
};

export default bench;
