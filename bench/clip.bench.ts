import { optimize, serialize, type Graph } from '../src/graph';
import type { ClipArchitecture } from '../src/models/clip/index';
import { buildImageEncoderGraph } from '../src/models/clip/index';
import { buildGuidanceGraph, cutoutFeeds, drawCutouts, perspectiveCoefficients, scaleFeeds } from '../src/models/guidance/index';
import { hostTensor, type HostTensor, type Runtime } from '../src/runtime';
import { applyScaleMultiplier } from '../src/sampling/guidance-input';
import { createRng } from '../src/sampling/rng';
import { countFlops, gflopsFigure } from './flops';
import { RN50, RN50X4, VIT_B16 } from './full-size-configs';
import { seededClip } from './full-size-graphs';
import { withPeakRss } from './peak-rss';
import type { Benchmark, Figure } from './run';

const SIZE = 256;
/**
 * The cutn 30. With ViT-B/16 one 30-cutout gradient graph needs more than the 4 GiB wasm32
 * heap (OrtRun: std::bad_alloc), so, as the engine does, the 30 cutouts run as sub-batches through one
 * graph built for SUB_BATCH cutouts, and so does the encoder it is compared with.
 * `npm run bench -- clip CUTN SUB_BATCH` sets others.
 */
const DEFAULT_CUTN = 30;
const DEFAULT_SUB_BATCH = 10;

/** Upstream PyTorch's times for 30 cutouts (torch 1.13 CPU, 2 threads; issues 20 and 23), the anchor of each model's figures. */
const MODELS: Readonly<Record<string, { readonly architecture: ClipArchitecture; readonly torch: { readonly forwardMs: number; readonly gradientMs: number } }>> = {
  'ViT-B/16': { architecture: VIT_B16, torch: { forwardMs: 5700, gradientMs: 19000 } },
  RN50: { architecture: RN50, torch: { forwardMs: 3500, gradientMs: 8200 } },
  RN50x4: { architecture: RN50X4, torch: { forwardMs: 7900, gradientMs: 25700 } },
};

/**
 * Two warm-up runs (a session's first runs touch fresh memory), then the sub-batches timed back to
 * back, as a step runs them; FLOPs of all of them.
 */
async function timed(runtime: Runtime, graph: Graph, batches: readonly Record<string, HostTensor>[]): Promise<{ ms: number; flops: number }> {
  const optimized = optimize(graph);
  const session = await runtime.createSession(serialize(optimized));
  try {
    for (let i = 0; i < 2; i++) await session.run(batches[0]!);
    const t0 = performance.now();
    for (const feeds of batches) await session.run(feeds);
    return { ms: performance.now() - t0, flops: countFlops(optimized) * batches.length };
  } finally {
    await session.dispose();
  }
}

const bench: Benchmark = {
  description: 'CLIP guidance-gradient model (ViT-B/16, RN50 or RN50x4 as the first argument names; seeded weights, 256×256 x_in, augmented cutouts at the model\'s resolution) vs the image encoder forward on the same cutouts, in Node (native onnxruntime or --backend wasm)',
  async run(args, context) {
    const name = args.find((a) => Number.isNaN(Number(a)) && !a.startsWith('--')) ?? 'ViT-B/16';
    const model = MODELS[name];
    if (!model) throw new Error(`bench clip: no model ${name}; it times ${Object.keys(MODELS).join(', ')}`);
    const numbers = args.filter((a) => !Number.isNaN(Number(a)));
    const cutn = Number(numbers[0] ?? DEFAULT_CUTN);
    const sub = Math.min(cutn, Number(numbers[1] ?? DEFAULT_SUB_BATCH));
    if (cutn % sub !== 0) throw new Error(`cutn ${cutn} is not a multiple of the sub-batch ${sub}`);
    const a = model.architecture;
    const clip = seededClip(a);
    const cs = a.imageResolution;
    const geometry = { height: SIZE, width: SIZE, cutSize: cs, cutn };
    const subGeometry = { ...geometry, cutn: sub };
    const params = drawCutouts(createRng(1), geometry, false, perspectiveCoefficients);
    const groups = Array.from({ length: cutn / sub }, (_, k) => params.slice(k * sub, (k + 1) * sub));
    const rng = createRng(2);
    const image = hostTensor('float32', [1, 3, SIZE, SIZE], rng.fillNormal(new Float32Array(3 * SIZE * SIZE)).map((v) => 0.5 * v));
    const targets = { target_embeds: hostTensor('float32', [2, a.embedDim], rng.fillNormal(new Float32Array(2 * a.embedDim))), target_weights: hostTensor('float32', [2], Float32Array.of(1.3333334, -0.33333334)) };
    const scales = scaleFeeds(applyScaleMultiplier({ clipGuidanceScale: 5000, tvScale: 100, rangeScale: 150, saturationScale: 0, initScale: 0 }, 1), 1);
    const guidanceFeeds = groups.map((group) => ({ x_in: image, pred_xstart: image, ...targets, ...scales, ...cutoutFeeds(group, subGeometry) }));
    const cuts = groups.map(() => ({ image: hostTensor('float32', [sub, 3, cs, cs], rng.fillNormal(new Float32Array(sub * 3 * cs * cs))) }));
    const encoder = await withPeakRss(() => timed(context.runtime(), buildImageEncoderGraph(clip.weights, a, { batch: sub }), cuts));
    const guidanceGraph = buildGuidanceGraph(clip, { image: { height: SIZE, width: SIZE }, cutn: sub, targets: 2, lossFn: 'spherical', augment: true });
    const guidance = await withPeakRss(() => timed(context.runtime(), guidanceGraph, guidanceFeeds));
    const ratio = +(guidance.result.ms / encoder.result.ms).toFixed(2);
    const figures: Record<string, Figure> = {
      image_encoder_forward: { value: Math.round(encoder.result.ms), unit: 'ms' },
      guidance_gradient: { value: Math.round(guidance.result.ms), unit: 'ms' },
      gflops_image_encoder_forward: gflopsFigure(encoder.result.flops, encoder.result.ms),
      gflops_guidance_gradient: gflopsFigure(guidance.result.flops, guidance.result.ms),
      ratio: { value: ratio, unit: '×', target: '<= 2.5', pass: ratio <= 2.5 },
      guidance_gradient_of_torch: { value: +(guidance.result.ms / model.torch.gradientMs).toFixed(2), unit: `× torch's ${model.torch.gradientMs / 1000} s`, target: '<= 1', pass: guidance.result.ms <= model.torch.gradientMs },
      image_encoder_forward_of_torch: { value: +(encoder.result.ms / model.torch.forwardMs).toFixed(2), unit: `× torch's ${model.torch.forwardMs / 1000} s` },
      peak_rss_encoder: { value: encoder.peakMiB, unit: 'MiB' },
      peak_rss_guidance: { value: guidance.peakMiB, unit: 'MiB' },
    };
    const notes = [
      `cutn ${cutn} as ${cutn / sub} sub-batches of ${sub} through one graph, timed back to back after two warm-up runs`,
      'peak RSS of the Node process while building, loading and running (wasm heap included)',
      'FLOPs count Conv, ConvTranspose and MatMul only (the cutout resampling is not counted)',
    ];
    // The ViT's figures stay clip.json (clip-wasm.json); the ResNets' are clip-RN50.json, clip-RN50-wasm.json, ….
    return { figures, notes, ...(name === 'ViT-B/16' ? {} : { variant: `${name}${context.backend === 'wasm' ? '-wasm' : ''}` }) };
  },
};

export default bench;
