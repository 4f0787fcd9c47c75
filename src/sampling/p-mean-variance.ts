import { ShapeError } from '../errors';
import type { StepCoefficients } from './coefficients';
import { f, map1, map2 } from './elementwise';

/** [batch, channels, height, width] of the image x (the model output has 2·channels with learn_sigma). */
export type SampleShape = readonly [number, number, number, number];

export const numel = (shape: SampleShape): number => shape[0] * shape[1] * shape[2] * shape[3];

/** The model output split at channel C (spec §8.4): ε̂ and, with learn_sigma, the variance value v. */
export interface ModelOutputParts {
  readonly eps: Float32Array;
  readonly varValues?: Float32Array;
}

/** `th.split(model_output, C, dim=1)` per batch element; a C-channel output (no learn_sigma) is all ε̂. */
export function splitModelOutput(output: Float32Array, shape: SampleShape): ModelOutputParts {
  const n = numel(shape);
  if (output.length === n) return { eps: output };
  if (output.length !== 2 * n) {
    throw new ShapeError(`model output has ${output.length} elements; expected [${shape[0]}, ${shape[1]} or ${2 * shape[1]}, ${shape[2]}, ${shape[3]}]`);
  }
  const per = n / shape[0];
  const eps = new Float32Array(n);
  const varValues = new Float32Array(n);
  for (let b = 0; b < shape[0]; b++) {
    eps.set(output.subarray(2 * b * per, (2 * b + 1) * per), b * per);
    varValues.set(output.subarray((2 * b + 1) * per, (2 * b + 2) * per), b * per);
  }
  return { eps, varValues };
}

/** `_predict_xstart_from_eps`: x̂0 = sqrt(1/ᾱ)·x − sqrt(1/ᾱ − 1)·ε (spec §8.4). */
export function predictXstartFromEps(c: StepCoefficients, x: Float32Array, eps: Float32Array): Float32Array {
  return map2('predict_xstart_from_eps', x, eps, (xi, e) => f(f(c.sqrtRecipAlphaBar * xi) - f(c.sqrtRecipm1AlphaBar * e)));
}

/** `_predict_eps_from_xstart`: ε = (sqrt(1/ᾱ)·x − x̂0) / sqrt(1/ᾱ − 1). */
export function predictEpsFromXstart(c: StepCoefficients, x: Float32Array, predXstart: Float32Array): Float32Array {
  return map2('predict_eps_from_xstart', x, predXstart, (xi, p) => f(f(f(c.sqrtRecipAlphaBar * xi) - p) / c.sqrtRecipm1AlphaBar));
}

/** clip_denoised: x̂0 clamped to [−1, 1] (spec §8.8). */
export const clampDenoised = (predXstart: Float32Array): Float32Array => map1(predXstart, (p) => Math.min(1, Math.max(-1, p)));

/** x̂0 of p_mean_variance: from ε̂, clamped when clip_denoised. */
export function predXstartOf(c: StepCoefficients, x: Float32Array, eps: Float32Array, clipDenoised: boolean): Float32Array {
  const p = predictXstartFromEps(c, x, eps);
  return clipDenoised ? clampDenoised(p) : p;
}

/** `q_posterior_mean_variance` mean: μ = c1·x̂0 + c2·x. */
export function posteriorMean(c: StepCoefficients, x: Float32Array, predXstart: Float32Array): Float32Array {
  return map2('q_posterior_mean', predXstart, x, (p, xi) => f(f(c.posteriorMeanCoef1 * p) + f(c.posteriorMeanCoef2 * xi)));
}

/**
 * LEARNED_RANGE variance (spec §8.4): frac = (v + 1)/2 (v not clamped),
 * log σ² = frac·log β'_j + (1 − frac)·posterior_log_variance_clipped_j, on the respaced arrays.
 */
export function learnedRangeLogVariance(c: StepCoefficients, varValues: Float32Array): Float32Array {
  return map1(varValues, (v) => {
    const frac = f(f(v + 1) / 2);
    return f(f(frac * c.logBeta) + f(f(1 - frac) * c.posteriorLogVarianceClipped));
  });
}

/**
 * `q_sample(x_start, j, noise)` = sqrt(ᾱ_j)·x_start + sqrt(1 − ᾱ_j)·noise. The loops use it for the
 * skip_timesteps start with the loop's noise itself as `noise` (spec §8.7, diffusion README).
 */
export function qSample(c: StepCoefficients, xStart: Float32Array, noise: Float32Array): Float32Array {
  return map2('q_sample', xStart, noise, (x0, z) => f(f(x0 * c.sqrtAlphaBar) + f(z * c.sqrtOneMinusAlphaBar)));
}
