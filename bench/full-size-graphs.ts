import { optimize, type GraphData } from '../src/graph';
import type { ClipArchitecture, LoadedClip } from '../src/models/clip/index';
import { buildDemoPack, clipShapes, seededArrays } from '../src/models/demo/index';
import { buildGuidanceGraph, cutoutFeeds, drawCutouts, perspectiveCoefficients, scaleFeeds } from '../src/models/guidance/index';
import { buildSwinIRGraph, type SwinIRModel } from '../src/models/swinir/index';
import { buildGuidedUnetGraph, buildUnetGraph, resolveConfig, UNET_PRESETS, unetParameterShapes, type UnetConfig } from '../src/models/unet/index';
import { ArrayWeights, SeededWeights, type WeightSource } from '../src/models/weights';
import { hostTensor, type HostTensor } from '../src/runtime';
import { applyScaleMultiplier, createRng } from '../src/sampling/index';
import { diffusionArrays, namedBetas } from '../src/sampling/schedule';
import { buildTrainingGraph, microbatchFeeds, type TrainingSchedule } from '../src/training/index';
import { RN50, SWINIR_M, VIT_B16 } from './full-size-configs';

/**
 * The seed's models at real size with seeded weights (or the demo pack's, for a software adapter),
 * as optimised graphs with feeds for one run: what the step, profile and GPU benches time.
 */
export const SIZE = 256;

export interface BenchGraph {
  readonly graph: GraphData;
  readonly feeds: Record<string, HostTensor>;
}

/** The models a bench builds its graphs from: the seed's at real size, or the demo pack's tiny ones. */
export interface BenchModelSet {
  readonly name: string;
  /** The UNet's image size. */
  readonly size: number;
  readonly unetConfig: UnetConfig;
  unetWeights(): WeightSource;
  /** The image tower is all the guidance gradient reads. */
  clip(): LoadedClip;
  swinir(): SwinIRModel;
}

const artConfig = () => resolveConfig(UNET_PRESETS['256x256_clip_diffusion_art']!.flags);

/** A CLIP at real size with seeded weights for its image tower, the only one the image graphs read. */
export const seededClip = (architecture: ClipArchitecture): LoadedClip => ({ architecture, weights: seededArrays(clipShapes(architecture).filter(([n]) => n.startsWith('visual.')), 12) });
export const vitB16 = (): LoadedClip => seededClip(VIT_B16);
export const rn50 = (): LoadedClip => seededClip(RN50);

export const FULL_SIZE: BenchModelSet = {
  name: 'full size: art UNet 256², ViT-B/16, SwinIR-M',
  size: SIZE,
  unetConfig: artConfig(),
  unetWeights: () => new ArrayWeights(seededArrays(unetParameterShapes(artConfig()), 11), 'seeded UNet'),
  clip: vitB16,
  swinir: () => ({ config: SWINIR_M, weights: new SeededWeights(20261126) }),
};

/** The demo pack's models (64² UNet, tiny ViT, tiny SwinIR): what a software adapter can time in seconds. */
export const TINY: BenchModelSet = (() => {
  const demo = buildDemoPack();
  return { name: 'tiny: the demo pack (64² UNet, tiny ViT, tiny SwinIR)', size: demo.unet.config.imageSize, unetConfig: demo.unet.config, unetWeights: () => demo.unet.weights, clip: () => demo.clips[0]!, swinir: () => demo.swinir.M };
})();

const image = (shape: readonly number[], seed: number, scale = 1): HostTensor => {
  const rng = createRng(seed);
  return hostTensor('float32', shape, rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1))).map((v) => scale * v));
};
const one = (v: number): HostTensor => hostTensor('float32', [1], Float32Array.of(v));

/** The UNet's forward (x, t → ε̂ and v) at index 44 of ddim50 (t = 880). */
export function unetForward(set = FULL_SIZE, weights = set.unetWeights()): BenchGraph {
  return { graph: optimize(buildUnetGraph(set.unetConfig, weights)), feeds: { x: image([1, 3, set.size, set.size], 3), t: one(880) } };
}

/**
 * One fine-tuning microbatch of the UNet (batch 1, t = 500): the training graph with its parameters
 * fed as inputs, the loss and every parameter's gradient (bench train times the whole step).
 */
export function unetTraining(set = FULL_SIZE): BenchGraph & { readonly params: Map<string, Float32Array>; readonly inputShapes: ReadonlyMap<string, readonly number[]>; readonly schedule: TrainingSchedule } {
  const { graph, params: inputShapes } = buildTrainingGraph(set.unetConfig, { batch: 1, numTimesteps: 1000 });
  const params = new Map([...seededArrays(unetParameterShapes(set.unetConfig), 11)].map(([n, a]) => [n, a.data]));
  const shape = [1, 3, set.size, set.size];
  const schedule = { arrays: diffusionArrays(namedBetas('linear', 1000)), numTimesteps: 1000, rescaleTimesteps: true };
  const m = { xStart: image(shape, 5).data as Float32Array, noise: image(shape, 6).data as Float32Array, t: [500], weights: [1] };
  return { graph: optimize(graph), feeds: microbatchFeeds(schedule, params, inputShapes, m, shape), params, inputShapes, schedule };
}

/** The UNet's guidance form: forward, x̂0 and the VJP of a cotangent on x̂0. */
export function unetGuided(set = FULL_SIZE, weights = set.unetWeights()): BenchGraph {
  const shape = [1, 3, set.size, set.size];
  const feeds = { x: image(shape, 3), t: one(880), sqrt_recip_alphas_cumprod: one(1.4), sqrt_recipm1_alphas_cumprod: one(0.98), pred_xstart_cotangent: image(shape, 4) };
  return { graph: optimize(buildGuidedUnetGraph(set.unetConfig, weights)), feeds };
}

/** CLIP's guidance gradient for `cutn` augmented cutouts of the UNet-sized x_in, two text targets. */
export function clipGuidance(cutn: number, set = FULL_SIZE): BenchGraph {
  const clip = set.clip();
  const { size } = set;
  const geometry = { height: size, width: size, cutSize: clip.architecture.imageResolution, cutn };
  const xIn = image([1, 3, size, size], 2, 0.5);
  const feeds = {
    x_in: xIn, pred_xstart: xIn, target_embeds: image([2, clip.architecture.embedDim], 5), target_weights: hostTensor('float32', [2], Float32Array.of(1.3333334, -0.33333334)),
    ...scaleFeeds(applyScaleMultiplier({ clipGuidanceScale: 5000, tvScale: 100, rangeScale: 150, saturationScale: 0, initScale: 0 }, 50), 1),
    ...cutoutFeeds(drawCutouts(createRng(1), geometry, false, perspectiveCoefficients), geometry),
  };
  return { graph: optimize(buildGuidanceGraph(clip, { image: { height: size, width: size }, cutn, targets: 2, lossFn: 'spherical', augment: true })), feeds };
}

/** SwinIR on the UNet-sized result padded to the next multiple of 8 beyond it (one tile, as the seed pads 256² to 264²). */
export function swinir(set = FULL_SIZE): BenchGraph {
  const side = set.size + 8;
  const rng = createRng(11);
  const x = hostTensor('float32', [1, 3, side, side], Float32Array.from({ length: 3 * side * side }, () => rng.uniform()));
  const model = set.swinir();
  return { graph: optimize(buildSwinIRGraph(model.config, model.weights, { height: side, width: side })), feeds: { x } };
}
