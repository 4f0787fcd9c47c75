import { add, div, grad, Graph, mul, scalar, sub, type Tensor } from '../../graph';
import { clipParams, encodeImage, type ClipArchitecture, type ClipStateDict } from '../clip/index';
import type { CutoutGeometry } from './cutout-params';
import { cutoutInputs, makeCutouts } from './cutout-graph';
import { cosSphericalLoss, l2Normalize, rangeLoss, saturationLoss, sphericalDistLoss, tvLoss, weightedMean } from './losses';

/** CLIP's image normalisation (the transform clip-diffusion-art pops off the preprocess). */
export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

export type LossFn = 'spherical' | 'cos_spherical';

export interface GuidanceGraphOptions {
  readonly image: { readonly height: number; readonly width: number };
  readonly cutn: number;
  /** Number of target embeddings P (text prompts plus cutn per image prompt). */
  readonly targets: number;
  readonly lossFn: LossFn;
  /** false = skip_augs (crop and pool only). */
  readonly augment: boolean;
}

function normalizeForClip(cuts: Tensor): Tensor {
  const g = cuts.graph;
  const mean = g.constant('float32', [1, 3, 1, 1], Float32Array.from(CLIP_MEAN));
  const std = g.constant('float32', [1, 3, 1, 1], Float32Array.from(CLIP_STD));
  return div(sub(cuts, mean), std);
}

/** The CLIP term of one cutn batch (§7 step 5): loss = Σ_p w_p · mean_c d(E_c, T_p), unscaled. */
function clipTerm(xIn: Tensor, g: Graph, o: GuidanceGraphOptions, clip: { weights: ClipStateDict; architecture: ClipArchitecture }): Tensor {
  const a = clip.architecture;
  const geometry: CutoutGeometry = { ...o.image, cutSize: a.imageResolution, cutn: o.cutn };
  const targets = g.input('target_embeds', 'float32', [o.targets, a.embedDim]);
  const weights = g.input('target_weights', 'float32', [o.targets]);
  const image01 = div(add(xIn, scalar(xIn, 1)), scalar(xIn, 2));
  const cuts = makeCutouts(image01, cutoutInputs(g, geometry, o.augment), geometry);
  const embeds = encodeImage(normalizeForClip(cuts), clipParams(g, clip.weights), a).out;
  const dists = o.lossFn === 'cos_spherical' ? cosSphericalLoss(embeds, targets) : sphericalDistLoss(embeds, targets);
  return weightedMean(dists, weights);
}

/**
 * The guidance-gradient model of clip-diffusion-art's cond_fn for one cutn batch (seed-spec §6–7),
 * batch n = 1. Inputs: x_in [1,3,H,W], pred_xstart (range loss only), the cutout parameters
 * (cutout-graph.ts), target_embeds [P,D], target_weights [P] (already divided by |Σw|), and the
 * scalar scales clip_scale, tv_scale, range_scale, sat_scale. Outputs: clip_loss (unscaled, the
 * logged loss_values entry), tv_loss, range_loss, sat_loss (scaled), grad_clip = d(clip_scale·clip_loss)/dx_in,
 * grad_other = d(tv + sat)/dx_in. The range term has no gradient (it is a function of pred_xstart,
 * an ancestor of x_in, §6.6). The engine loops over cutn batches with fresh parameters and
 * clip_scale = clip_guidance_scale / cutn_batches, sums grad_clip and adds grad_other once.
 */
export function buildGuidanceGraph(clip: { weights: ClipStateDict; architecture: ClipArchitecture }, o: GuidanceGraphOptions): Graph {
  const g = new Graph('clip_guidance');
  const shape = [1, 3, o.image.height, o.image.width];
  const xIn = g.input('x_in', 'float32', shape);
  const predXstart = g.input('pred_xstart', 'float32', shape);
  const scale = (name: string) => g.input(name, 'float32', []);
  const [clipScale, tvScale, rangeScale, satScale] = ['clip_scale', 'tv_scale', 'range_scale', 'sat_scale'].map(scale) as [Tensor, Tensor, Tensor, Tensor];
  const clipLoss = clipTerm(xIn, g, o, clip);
  const tv = mul(tvLoss(xIn), tvScale);
  const sat = mul(saturationLoss(xIn), satScale);
  g.output(clipLoss, 'clip_loss');
  g.output(tv, 'tv_loss');
  g.output(mul(rangeLoss(predXstart), rangeScale), 'range_loss');
  g.output(sat, 'sat_loss');
  const one = scalar(xIn, 1);
  g.output(grad([mul(clipLoss, clipScale)], [xIn], [one])[0]!, 'grad_clip');
  g.output(grad([add(tv, sat)], [xIn], [one])[0]!, 'grad_other');
  return g;
}

export interface ImagePromptGraphOptions {
  readonly image: { readonly height: number; readonly width: number };
  readonly cutn: number;
  readonly augment: boolean;
}

/** An image prompt's cutouts, CLIP-normalised, [cutn, 3, R, R], from a new `image` input [1, 3, H, W] in [0, 1]. */
function promptCutouts(g: Graph, cutSize: number, o: ImagePromptGraphOptions): Tensor {
  const geometry: CutoutGeometry = { ...o.image, cutSize, cutn: o.cutn };
  const image = g.input('image', 'float32', [1, 3, o.image.height, o.image.width]);
  return normalizeForClip(makeCutouts(image, cutoutInputs(g, geometry, o.augment), geometry));
}

/**
 * Image prompts (spec §4.3): the prompt image [1, 3, H, W] in [0, 1] (to_tensor, after the
 * shorter-side resize) → MakeCutouts → CLIP normalise → encode_image → L2-normalised embeddings
 * `embeds` [cutn, D], each to be weighted weight / cutn (sampling's imagePromptWeights).
 */
export function buildImagePromptGraph(clip: { weights: ClipStateDict; architecture: ClipArchitecture }, o: ImagePromptGraphOptions): Graph {
  const g = new Graph('clip_image_prompt');
  const a = clip.architecture;
  g.output(l2Normalize(encodeImage(promptCutouts(g, a.imageResolution, o), clipParams(g, clip.weights), a).out), 'embeds');
  return g;
}

/**
 * The weight-free first half of buildImagePromptGraph: `cuts` [cutn, 3, R, R], ready for a
 * converted CLIP image encoder (a pack's clip_image.onnx), whose embeddings are then L2-normalised.
 */
export function buildPromptCutoutGraph(cutSize: number, o: ImagePromptGraphOptions): Graph {
  const g = new Graph('clip_prompt_cutouts');
  g.output(promptCutouts(g, cutSize, o), 'cuts');
  return g;
}
