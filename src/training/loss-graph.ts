import { add, clamp, concat, div, exp, grad, Graph, greater, less, log, mul, neg, reduceMean, reshape, scalar, slice, sub, tanh, where, type Tensor } from '../graph';
import { unetForward, type UnetConfig } from '../models/unet/index';
import { PlaceholderWeights } from '../models/weights';

/**
 * The per-sample schedule values a microbatch's loss reads, float64 arrays gathered at each t and
 * cast to float32 (guided-diffusion's `_extract_into_tensor`), each fed as [mb].
 */
export const TRAINING_COEFFICIENTS = [
  'sqrt_alphas_cumprod', 'sqrt_one_minus_alphas_cumprod', 'sqrt_recip_alphas_cumprod', 'sqrt_recipm1_alphas_cumprod',
  'posterior_mean_coef1', 'posterior_mean_coef2', 'posterior_log_variance_clipped', 'log_betas',
] as const;
export type TrainingCoefficient = (typeof TRAINING_COEFFICIENTS)[number];

/** The prefix of each parameter's gradient output: `grad.<state_dict name>`. */
export const GRAD_PREFIX = 'grad.';

const LN2 = Math.LN2;

/** mean_flat: the mean over every axis but the batch's, [mb]. */
const meanFlat = (x: Tensor): Tensor => reduceMean(x, x.shape.slice(1).map((_, i) => i + 1));

/** normal_kl in nats, elementwise. */
function normalKl(mean1: Tensor, logvar1: Tensor, mean2: Tensor, logvar2: Tensor): Tensor {
  const d = sub(mean1, mean2);
  const terms = add(add(sub(logvar2, logvar1), exp(sub(logvar1, logvar2))), mul(mul(d, d), exp(neg(logvar2))));
  return mul(scalar(terms, 0.5), add(scalar(terms, -1), terms));
}

/** approx_standard_normal_cdf: 0.5·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³))). */
function approxCdf(x: Tensor): Tensor {
  const cubic = mul(mul(mul(x, x), x), scalar(x, 0.044715));
  return mul(scalar(x, 0.5), add(scalar(x, 1), tanh(mul(scalar(x, Math.sqrt(2 / Math.PI)), add(x, cubic)))));
}

/** discretized_gaussian_log_likelihood of 8-bit data x0 in [−1, 1] under N(means, exp(2·logScales)). */
function discretizedLogLikelihood(x0: Tensor, means: Tensor, logScales: Tensor): Tensor {
  const centered = sub(x0, means);
  const invStdv = exp(neg(logScales));
  const cdfPlus = approxCdf(mul(invStdv, add(centered, scalar(centered, 1 / 255))));
  const cdfMin = approxCdf(mul(invStdv, sub(centered, scalar(centered, 1 / 255))));
  const logCdfPlus = log(clamp(cdfPlus, 1e-12));
  const logOneMinusCdfMin = log(clamp(sub(scalar(cdfMin, 1), cdfMin), 1e-12));
  const logCdfDelta = log(clamp(sub(cdfPlus, cdfMin), 1e-12));
  return where(less(x0, scalar(x0, -0.999)), logCdfPlus, where(greater(x0, scalar(x0, 0.999)), logOneMinusCdfMin, logCdfDelta));
}

/** The losses of one microbatch, per sample [mb]. */
export interface TrainingLosses {
  readonly mse: Tensor;
  readonly vb: Tensor;
  readonly loss: Tensor;
  /** ∂(Σ w·loss / mb)/∂ε̂ from the MSE and ∂/∂v from the VB term (ε̂ frozen there), as one cotangent on `out`. */
  readonly outCotangent: Tensor;
}

/**
 * guided-diffusion's training_losses for LossType.RESCALED_MSE with learned-range variances and
 * ε-prediction (seed-spec §12): mse = mean_flat((noise − ε̂)²) and vb, the KL between the true
 * posterior and the model's (or the decoder NLL at t = 0), in bits, from ε̂ frozen and v, times
 * num_timesteps/1000. The stop-gradient on ε̂ is each term differentiated on its own slice of the
 * model output: the MSE's with respect to ε̂, the VB's with respect to v alone (grad() only walks
 * paths from what it differentiates by), then joined into one cotangent for the UNet's VJP.
 */
function trainingLosses(g: Graph, out: Tensor, xStart: Tensor, xT: Tensor, noise: Tensor, c: Record<TrainingCoefficient, Tensor>, numTimesteps: number, firstStep: Tensor, lossWeights: Tensor): TrainingLosses {
  const channels = xStart.shape[1]!;
  const eps = slice(out, [1], [0], [channels]);
  const v = slice(out, [1], [channels], [2 * channels]);
  const diff = sub(noise, eps);
  const mse = meanFlat(mul(diff, diff));
  const predXstart = sub(mul(c.sqrt_recip_alphas_cumprod, xT), mul(c.sqrt_recipm1_alphas_cumprod, eps));
  const modelMean = add(mul(c.posterior_mean_coef1, predXstart), mul(c.posterior_mean_coef2, xT));
  const frac = div(add(v, scalar(v, 1)), scalar(v, 2));
  const modelLogVariance = add(mul(frac, c.log_betas), mul(sub(scalar(frac, 1), frac), c.posterior_log_variance_clipped));
  const trueMean = add(mul(c.posterior_mean_coef1, xStart), mul(c.posterior_mean_coef2, xT));
  const kl = div(meanFlat(normalKl(trueMean, c.posterior_log_variance_clipped, modelMean, modelLogVariance)), scalar(v, LN2));
  const nll = div(neg(meanFlat(discretizedLogLikelihood(xStart, modelMean, mul(modelLogVariance, scalar(v, 0.5))))), scalar(v, LN2));
  const vb = mul(where(firstStep, nll, kl), scalar(v, numTimesteps / 1000));
  const loss = add(mse, vb);
  const perSample = div(lossWeights, scalar(lossWeights, lossWeights.shape[0]!));
  const [dEps] = grad([mse], [eps], [perSample]);
  const [dV] = grad([vb], [v], [perSample]);
  return { mse, vb, loss, outCotangent: concat([dEps!, dV!], 1) };
}

export interface TrainingGraphOptions {
  /** Samples per microbatch. */
  readonly batch: number;
  /** The diffusion's T (RESCALED_MSE scales the VB term by T/1000). */
  readonly numTimesteps: number;
}

/**
 * One microbatch's losses and the gradient of Σ_i w_i·loss_i / mb with respect to every parameter
 * (torch's `(losses["loss"] * w).mean().backward()`). Parameters are inputs named by their
 * state_dict keys (in the shapes the builder uses them), so one graph serves every step. Other
 * inputs: x_start, noise [mb, C, H, W]; t (the model's timestep input) [mb]; the schedule values of
 * TRAINING_COEFFICIENTS [mb]; first_step [mb] (bool: t = 0 takes the decoder NLL); loss_weights [mb].
 * Outputs: x_t, out, mse, vb, loss and `grad.<name>` per parameter.
 */
export function buildTrainingGraph(config: UnetConfig, o: TrainingGraphOptions): { graph: Graph; params: ReadonlyMap<string, readonly number[]> } {
  // `params`: each parameter's input shape (a Conv1d weight [O, I, 1] is fed as the [O, I, 1, 1] it is used as).
  const g = new Graph('unet_training');
  const mb = o.batch;
  const image = [mb, config.inChannels, config.imageSize, config.imageSize];
  const xStart = g.input('x_start', 'float32', image);
  const noise = g.input('noise', 'float32', image);
  const t = g.input('t', 'float32', [mb]);
  const c = Object.fromEntries(TRAINING_COEFFICIENTS.map((name) => [name, reshape(g.input(name, 'float32', [mb]), [mb, 1, 1, 1])])) as Record<TrainingCoefficient, Tensor>;
  const firstStep = g.input('first_step', 'bool', [mb]);
  const lossWeights = g.input('loss_weights', 'float32', [mb]);
  const xT = add(mul(c.sqrt_alphas_cumprod, xStart), mul(c.sqrt_one_minus_alphas_cumprod, noise));
  const weights = new PlaceholderWeights();
  const out = unetForward(g, config, weights, { x: xT, t }).out;
  const losses = trainingLosses(g, out, xStart, xT, noise, c, o.numTimesteps, firstStep, lossWeights);
  g.output(xT, 'x_t');
  g.output(out, 'out');
  g.output(losses.mse, 'mse');
  g.output(losses.vb, 'vb');
  g.output(losses.loss, 'loss');
  const names = [...weights.shapes.keys()];
  const grads = grad([out], names.map((n) => g.lookup(n)), [losses.outCotangent]);
  names.forEach((name, i) => g.output(grads[i]!, `${GRAD_PREFIX}${name}`));
  return { graph: g, params: new Map(names.map((n) => [n, g.lookup(n).shape])) };
}
