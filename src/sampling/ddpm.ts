import type { StepCoefficients } from './coefficients';
import { f, map1, map3 } from './elementwise';
import { learnedRangeLogVariance, posteriorMean } from './p-mean-variance';

/**
 * `condition_mean` (Sohl-Dickstein et al. 2015) for DDPM (spec §8.4): μ' = μ + σ²·g with the
 * learned variance σ² = exp(log σ²).
 */
export function conditionMean(mean: Float32Array, variance: Float32Array, condGrad: Float32Array): Float32Array {
  return map3('condition_mean', mean, variance, condGrad, (m, v, g) => f(m + f(v * g)));
}

/** p_mean_variance's mean, variance and log-variance for an ε-predicting, learned-range model. */
export interface MeanVariance {
  readonly mean: Float32Array;
  readonly variance: Float32Array;
  readonly logVariance: Float32Array;
}

/** The DDPM part of `p_mean_variance` given x̂0 (already clamped when clip_denoised) and v. */
export function meanVariance(c: StepCoefficients, x: Float32Array, predXstart: Float32Array, varValues: Float32Array): MeanVariance {
  const logVariance = learnedRangeLogVariance(c, varValues);
  return { mean: posteriorMean(c, x, predXstart), variance: map1(logVariance, (l) => f(Math.exp(l))), logVariance };
}

export interface PSampleStepInput {
  readonly c: StepCoefficients;
  readonly mv: MeanVariance;
  /** cond_fn's gradient, when guided. */
  readonly condGrad?: Float32Array;
  /** The step's N(0, I) draw, taken before cond_fn is called (spec §8.6, step 2). */
  readonly noise: Float32Array;
}

/**
 * One step of guided-diffusion's `p_sample` (spec §8.6): x_prev = μ' + [j ≠ 0]·exp(½ log σ²)·z with
 * μ' = condition_mean(μ) when guided. `--eta` has no effect here. The yielded x̂0 is the unguided one.
 */
export function pSampleStep({ c, mv, condGrad, noise }: PSampleStepInput): Float32Array {
  const mean = condGrad ? conditionMean(mv.mean, mv.variance, condGrad) : mv.mean;
  const mask = c.index === 0 ? 0 : 1;
  const std = map1(mv.logVariance, (l) => f(mask * f(Math.exp(f(0.5 * l)))));
  return map3('p_sample', mean, std, noise, (m, s, z) => f(m + f(s * z)));
}
