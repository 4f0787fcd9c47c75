import { optimize, serialize, type Graph } from '../src/graph';
import type { ClipArchitecture, ClipStateDict } from '../src/models/clip/index';
import { buildImageEncoderGraph } from '../src/models/clip/index';
import { buildGuidanceGraph, cutoutFeeds, drawCutouts, perspectiveCoefficients, scaleFeeds } from '../src/models/guidance/index';
import { hostTensor, type HostTensor, type Runtime } from '../src/runtime';
import { applyScaleMultiplier } from '../src/sampling/guidance-input';
import { createRng } from '../src/sampling/rng';
import { countFlops, gflopsFigure } from './flops';
import { VIT_B16 } from './full-size-configs';
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

/** Seeded N(0, 1/fan-in) vision-tower weights (the only ones the image graphs read), LayerNorm weights 1. */
function seededVisionWeights(a: ClipArchitecture): ClipStateDict {
  const rng = createRng(20260601);
  const w = a.visionWidth;
  const shapes: [string, number[]][] = [
    ['visual.conv1.weight', [w, 3, a.visionPatchSize, a.visionPatchSize]], ['visual.class_embedding', [w]], ['visual.positional_embedding', [197, w]],
    ['visual.ln_pre.weight', [w]], ['visual.ln_pre.bias', [w]], ['visual.ln_post.weight', [w]], ['visual.ln_post.bias', [w]], ['visual.proj', [w, a.embedDim]],
  ];
  for (let i = 0; i < a.visionLayers; i++) {
    const p = `visual.transformer.resblocks.${i}.`;
    shapes.push([`${p}attn.in_proj_weight`, [3 * w, w]], [`${p}attn.in_proj_bias`, [3 * w]], [`${p}attn.out_proj.weight`, [w, w]], [`${p}attn.out_proj.bias`, [w]],
      [`${p}ln_1.weight`, [w]], [`${p}ln_1.bias`, [w]], [`${p}mlp.c_fc.weight`, [4 * w, w]], [`${p}mlp.c_fc.bias`, [4 * w]],
      [`${p}mlp.c_proj.weight`, [w, 4 * w]], [`${p}mlp.c_proj.bias`, [w]], [`${p}ln_2.weight`, [w]], [`${p}ln_2.bias`, [w]]);
  }
  return new Map(shapes.map(([name, shape]) => {
    const fanIn = shape.length > 1 ? shape.slice(1).reduce((x, y) => x * y, 1) : 1;
    const data = rng.fillNormal(new Float32Array(shape.reduce((x, y) => x * y, 1))).map((v) => (name.includes('ln_') && name.endsWith('.weight') ? 1 + 0.1 * v : v / Math.sqrt(fanIn)));
    return [name, { shape, data }];
  }));
}

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
  description: 'CLIP guidance-gradient model (ViT-B/16, seeded weights, 256×256 x_in, augmented cutouts) vs the image encoder forward on the same cutouts, in Node (native onnxruntime or --backend wasm)',
  async run(args, context) {
    const cutn = Number(args[0] ?? DEFAULT_CUTN);
    const sub = Math.min(cutn, Number(args[1] ?? DEFAULT_SUB_BATCH));
    if (cutn % sub !== 0) throw new Error(`cutn ${cutn} is not a multiple of the sub-batch ${sub}`);
    const clip = { weights: seededVisionWeights(VIT_B16), architecture: VIT_B16 };
    const geometry = { height: SIZE, width: SIZE, cutSize: 224, cutn };
    const subGeometry = { ...geometry, cutn: sub };
    const params = drawCutouts(createRng(1), geometry, false, perspectiveCoefficients);
    const groups = Array.from({ length: cutn / sub }, (_, k) => params.slice(k * sub, (k + 1) * sub));
    const rng = createRng(2);
    const image = hostTensor('float32', [1, 3, SIZE, SIZE], rng.fillNormal(new Float32Array(3 * SIZE * SIZE)).map((v) => 0.5 * v));
    const targets = { target_embeds: hostTensor('float32', [2, 512], rng.fillNormal(new Float32Array(1024))), target_weights: hostTensor('float32', [2], Float32Array.of(1.3333334, -0.33333334)) };
    const scales = scaleFeeds(applyScaleMultiplier({ clipGuidanceScale: 5000, tvScale: 100, rangeScale: 150, saturationScale: 0, initScale: 0 }, 1), 1);
    const guidanceFeeds = groups.map((group) => ({ x_in: image, pred_xstart: image, ...targets, ...scales, ...cutoutFeeds(group, subGeometry) }));
    const cuts = groups.map(() => ({ image: hostTensor('float32', [sub, 3, 224, 224], rng.fillNormal(new Float32Array(sub * 3 * 224 * 224))) }));
    const encoder = await withPeakRss(() => timed(context.runtime(), buildImageEncoderGraph(clip.weights, VIT_B16, { batch: sub }), cuts));
    const guidanceGraph = buildGuidanceGraph(clip, { image: { height: SIZE, width: SIZE }, cutn: sub, targets: 2, lossFn: 'spherical', augment: true });
    const guidance = await withPeakRss(() => timed(context.runtime(), guidanceGraph, guidanceFeeds));
    const ratio = +(guidance.result.ms / encoder.result.ms).toFixed(2);
    const figures: Record<string, Figure> = {
      image_encoder_forward: { value: Math.round(encoder.result.ms), unit: 'ms' },
      guidance_gradient: { value: Math.round(guidance.result.ms), unit: 'ms' },
      gflops_image_encoder_forward: gflopsFigure(encoder.result.flops, encoder.result.ms),
      gflops_guidance_gradient: gflopsFigure(guidance.result.flops, guidance.result.ms),
      ratio: { value: ratio, unit: '×', target: '<= 3', pass: ratio <= 3 },
      peak_rss_encoder: { value: encoder.peakMiB, unit: 'MiB' },
      peak_rss_guidance: { value: guidance.peakMiB, unit: 'MiB' },
    };
    const notes = [
      `cutn ${cutn} as ${cutn / sub} sub-batches of ${sub} through one graph, timed back to back after two warm-up runs`,
      'peak RSS of the Node process while building, loading and running (wasm heap included)',
      'FLOPs count Conv, ConvTranspose and MatMul only (the cutout resampling is not counted)',
    ];
    return { figures, notes };
  },
};

export default bench;
