import { optimize, type GraphData } from '../src/graph';
import { clipShapes, seededArrays } from '../src/models/demo/index';
import { buildGuidanceGraph, cutoutFeeds, drawCutouts, perspectiveCoefficients, scaleFeeds } from '../src/models/guidance/index';
import { buildSwinIRGraph } from '../src/models/swinir/index';
import { buildGuidedUnetGraph, buildUnetGraph, resolveConfig, UNET_PRESETS, unetParameterShapes } from '../src/models/unet/index';
import { ArrayWeights, SeededWeights } from '../src/models/weights';
import { hostTensor, type HostTensor } from '../src/runtime';
import { applyScaleMultiplier, createRng } from '../src/sampling/index';
import { SWINIR_M, VIT_B16 } from './full-size-configs';

/**
 * The seed's models at real size with seeded weights, as optimised graphs with feeds for one run:
 * what the step and profile benches time.
 */
export const SIZE = 256;

export interface BenchGraph {
  readonly graph: GraphData;
  readonly feeds: Record<string, HostTensor>;
}

const image = (shape: readonly number[], seed: number, scale = 1): HostTensor => {
  const rng = createRng(seed);
  return hostTensor('float32', shape, rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1))).map((v) => scale * v));
};
const one = (v: number): HostTensor => hostTensor('float32', [1], Float32Array.of(v));

const artConfig = () => resolveConfig(UNET_PRESETS['256x256_clip_diffusion_art']!.flags);
const unetWeights = () => new ArrayWeights(seededArrays(unetParameterShapes(artConfig()), 11), 'seeded UNet');

/** The art UNet's forward (x, t → ε̂ and v) at index 44 of ddim50 (t = 880). */
export function unetForward(weights = unetWeights()): BenchGraph {
  return { graph: optimize(buildUnetGraph(artConfig(), weights)), feeds: { x: image([1, 3, SIZE, SIZE], 3), t: one(880) } };
}

/** The art UNet's guidance form: forward, x̂0 and the VJP of a cotangent on x̂0. */
export function unetGuided(weights = unetWeights()): BenchGraph {
  const feeds = { x: image([1, 3, SIZE, SIZE], 3), t: one(880), sqrt_recip_alphas_cumprod: one(1.4), sqrt_recipm1_alphas_cumprod: one(0.98), pred_xstart_cotangent: image([1, 3, SIZE, SIZE], 4) };
  return { graph: optimize(buildGuidedUnetGraph(artConfig(), weights)), feeds };
}

export const vitB16 = () => ({ architecture: VIT_B16, weights: seededArrays(clipShapes(VIT_B16).filter(([n]) => n.startsWith('visual.')), 12) });

/** ViT-B/16's guidance gradient for `cutn` augmented cutouts of a 256² x_in, two text targets. */
export function clipGuidance(cutn: number, clip = vitB16()): BenchGraph {
  const geometry = { height: SIZE, width: SIZE, cutSize: VIT_B16.imageResolution, cutn };
  const xIn = image([1, 3, SIZE, SIZE], 2, 0.5);
  const feeds = {
    x_in: xIn, pred_xstart: xIn, target_embeds: image([2, VIT_B16.embedDim], 5), target_weights: hostTensor('float32', [2], Float32Array.of(1.3333334, -0.33333334)),
    ...scaleFeeds(applyScaleMultiplier({ clipGuidanceScale: 5000, tvScale: 100, rangeScale: 150, saturationScale: 0, initScale: 0 }, 50), 1),
    ...cutoutFeeds(drawCutouts(createRng(1), geometry, false, perspectiveCoefficients), geometry),
  };
  return { graph: optimize(buildGuidanceGraph(clip, { image: { height: SIZE, width: SIZE }, cutn, targets: 2, lossFn: 'spherical', augment: true })), feeds };
}

/** SwinIR-M on the seed's 256² result padded to 264² (one tile). */
export function swinirM(): BenchGraph {
  const side = SIZE + 8;
  const rng = createRng(11);
  const x = hostTensor('float32', [1, 3, side, side], Float32Array.from({ length: 3 * side * side }, () => rng.uniform()));
  return { graph: optimize(buildSwinIRGraph(SWINIR_M, new SeededWeights(20261126), { height: side, width: side })), feeds: { x } };
}
