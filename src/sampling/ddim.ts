import type { StepCoefficients } from './coefficients';
import { f, map2, map3 } from './elementwise';
import { predictEpsFromXstart, predictXstartFromEps } from './p-mean-variance';

/**
 * `condition_score` (Song et al. 2020) as the fork's SpacedDiffusion applies it for DDIM (spec §8.4):
 * ε = ε from x̂0 (re-derived, so a clamped x̂0 counts), ε' = ε − sqrt(1 − ᾱ)·g, and the guided
 * x̂0' = sqrt(1/ᾱ)·x − sqrt(1/ᾱ − 1)·ε'. `condGrad` is cond_fn's output g.
 */
export function conditionScore(c: StepCoefficients, x: Float32Array, predXstart: Float32Array, condGrad: Float32Array): Float32Array {
  const eps = predictEpsFromXstart(c, x, predXstart);
  // `(1 - alpha_bar).sqrt()` of the float32 ᾱ, not the float64 sqrt_one_minus_alphas_cumprod.
  const scale = f(Math.sqrt(f(1 - c.alphaBar)));
  const guided = map2('condition_score', eps, condGrad, (e, g) => f(e - f(scale * g)));
  return predictXstartFromEps(c, x, guided);
}

/** DDIM's σ = η·sqrt((1 − ᾱ_prev)/(1 − ᾱ))·sqrt(1 − ᾱ/ᾱ_prev) in float32 (spec §8.5, step 4). */
export function ddimSigma(c: StepCoefficients, eta: number): number {
  const a = f(Math.sqrt(f(f(1 - c.alphaBarPrev) / f(1 - c.alphaBar))));
  const b = f(Math.sqrt(f(1 - f(c.alphaBar / c.alphaBarPrev))));
  return f(f(f(eta) * a) * b);
}

export interface DdimStepInput {
  readonly c: StepCoefficients;
  readonly x: Float32Array;
  /** x̂0 of p_mean_variance (clamped when clip_denoised): unguided. */
  readonly predXstart: Float32Array;
  /** cond_fn's gradient, when guided. */
  readonly condGrad?: Float32Array;
  readonly eta: number;
  /** The step's N(0, I) draw; upstream draws it every step, even at η = 0 (spec §8.5, step 5). */
  readonly noise: Float32Array;
}

/**
 * One step of guided-diffusion's `ddim_sample` (Song et al., eq. 12; spec §8.5):
 * x_prev = x̂0'·sqrt(ᾱ_prev) + sqrt(1 − ᾱ_prev − σ²)·ε'' + [j ≠ 0]·σ·z, with x̂0' the guided x̂0
 * (condition_score) and ε'' re-derived from it. Returns x_prev; the step's yielded x̂0 is the
 * unguided `predXstart` (the fork, spec §8.10).
 */
export function ddimStep({ c, x, predXstart, condGrad, eta, noise }: DdimStepInput): Float32Array {
  const guided = condGrad ? conditionScore(c, x, predXstart, condGrad) : predXstart;
  const eps = predictEpsFromXstart(c, x, guided);
  const sigma = ddimSigma(c, eta);
  const sqrtPrev = f(Math.sqrt(c.alphaBarPrev));
  const dirScale = f(Math.sqrt(f(f(1 - c.alphaBarPrev) - f(sigma * sigma))));
  const noiseScale = c.index === 0 ? 0 : sigma;
  return map3('ddim_sample', guided, eps, noise, (p, e, z) => f(f(f(p * sqrtPrev) + f(dirScale * e)) + f(noiseScale * z)));
}
