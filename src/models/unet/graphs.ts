import { ShapeError } from '../../errors';
import { grad, Graph, mul, reshape, slice, sub, type Tensor } from '../../graph';
import { PlaceholderWeights, type WeightSource } from '../weights';
import { unetForward, type UnetValues } from './build';
import type { UnetConfig } from './config';

export interface UnetGraphOptions {
  /** Batch size B; default 1. */
  readonly batch?: number;
  /** Spatial size; default image_size × image_size. Any multiple of 2^(levels − 1) works (the UNet is convolutional). */
  readonly height?: number;
  readonly width?: number;
  /** Intermediates to add as extra outputs, by their names in UnetValues.taps (for tests and conformance). */
  readonly taps?: readonly string[];
}

/** Input names of the graphs (model.json documents them). */
export const UNET_INPUTS = {
  x: 'x',
  t: 't',
  y: 'y',
  sqrtRecipAlphasCumprod: 'sqrt_recip_alphas_cumprod',
  sqrtRecipm1AlphasCumprod: 'sqrt_recipm1_alphas_cumprod',
  cotangent: 'pred_xstart_cotangent',
} as const;

function forwardWithInputs(graph: Graph, config: UnetConfig, weights: WeightSource, options: UnetGraphOptions): { x: Tensor; values: UnetValues } {
  const b = options.batch ?? 1;
  const x = graph.input(UNET_INPUTS.x, 'float32', [b, config.inChannels, options.height ?? config.imageSize, options.width ?? config.imageSize]);
  const t = graph.input(UNET_INPUTS.t, 'float32', [b]);
  const y = config.numClasses === null ? undefined : graph.input(UNET_INPUTS.y, 'int64', [b]);
  return { x, values: unetForward(graph, config, weights, y ? { x, t, y } : { x, t }) };
}

function outputTaps(graph: Graph, values: UnetValues, taps: readonly string[]): void {
  for (const name of taps) {
    const v = values.taps.get(name);
    if (!v) throw new ShapeError(`no UNet intermediate named '${name}' (available: ${[...values.taps.keys()].join(', ')})`);
    graph.output(v, name);
  }
}

/** (x, t[, y]) → out [B, outChannels, H, W]: UNetModel.forward. */
export function buildUnetGraph(config: UnetConfig, weights: WeightSource, options: UnetGraphOptions = {}): Graph {
  const graph = new Graph('unet');
  const { values } = forwardWithInputs(graph, config, weights, options);
  graph.output(values.out, 'out');
  outputTaps(graph, values, options.taps ?? []);
  return graph;
}

/**
 * The guidance form: one UNet forward that also gives the vector-Jacobian product of a cotangent on
 * pred_xstart with respect to x (the fork's cond_fn_with_grad idea: a single forward per guided
 * step, where upstream's cond_fn runs the model a second time under autograd).
 *
 * Extra inputs: the step's `sqrt_recip_alphas_cumprod` and `sqrt_recipm1_alphas_cumprod` [1]
 * (float64 schedule values cast to float32, as `_extract_into_tensor` does) and
 * `pred_xstart_cotangent` [B, 3, H, W]. Outputs: `out` (the model output), `pred_xstart` =
 * sqrt_recip·x − sqrt_recipm1·ε (ε = the first 3 channels; no clamp, clip_denoised False) and
 * `grad_x` = (∂pred_xstart/∂x)ᵀ · cotangent, through the UNet.
 */
export function buildGuidedUnetGraph(config: UnetConfig, weights: WeightSource, options: UnetGraphOptions = {}): Graph {
  const graph = new Graph('unet_guided');
  const { x, values } = forwardWithInputs(graph, config, weights, options);
  const recip = graph.input(UNET_INPUTS.sqrtRecipAlphasCumprod, 'float32', [1]);
  const recipm1 = graph.input(UNET_INPUTS.sqrtRecipm1AlphasCumprod, 'float32', [1]);
  const cot = graph.input(UNET_INPUTS.cotangent, 'float32', x.shape);
  const eps = slice(values.out, [1], [0], [config.inChannels]);
  const predXstart = sub(mul(reshape(recip, [1, 1, 1, 1]), x), mul(reshape(recipm1, [1, 1, 1, 1]), eps));
  graph.output(values.out, 'out');
  graph.output(predXstart, 'pred_xstart');
  graph.output(grad([predXstart], [x], [cot])[0]!, 'grad_x');
  outputTaps(graph, values, options.taps ?? []);
  return graph;
}

/** The state dict a configuration needs, name → shape in build order, without any weight data. */
export function unetParameterShapes(config: UnetConfig): ReadonlyMap<string, readonly number[]> {
  const weights = new PlaceholderWeights();
  buildUnetGraph(config, weights);
  return weights.shapes;
}
