import { hostTensor, type HostTensor } from '../runtime';
import type { DiffusionArrays } from '../sampling/schedule';
import { GRAD_PREFIX, TRAINING_COEFFICIENTS, type TrainingCoefficient } from './loss-graph';
import type { Tensors } from './optimizer';

/** One microbatch as training_losses receives it, with the draws made for it. */
export interface Microbatch {
  /** [mb, C, H, W] in [−1, 1]. */
  readonly xStart: Float32Array;
  /** randn_like(x_start). */
  readonly noise: Float32Array;
  /** Timestep indices (UniformSampler's draws). */
  readonly t: ArrayLike<number>;
  /** The sampler's importance weights (1 for the uniform sampler). */
  readonly weights: ArrayLike<number>;
}

/** What the schedule contributes: the float64 arrays and TrainLoop's timestep rescaling. */
export interface TrainingSchedule {
  readonly arrays: DiffusionArrays;
  readonly numTimesteps: number;
  readonly rescaleTimesteps: boolean;
}

const ARRAY_OF: Record<TrainingCoefficient, (a: DiffusionArrays) => Float64Array> = {
  sqrt_alphas_cumprod: (a) => a.sqrtAlphasCumprod,
  sqrt_one_minus_alphas_cumprod: (a) => a.sqrtOneMinusAlphasCumprod,
  sqrt_recip_alphas_cumprod: (a) => a.sqrtRecipAlphasCumprod,
  sqrt_recipm1_alphas_cumprod: (a) => a.sqrtRecipm1AlphasCumprod,
  posterior_mean_coef1: (a) => a.posteriorMeanCoef1,
  posterior_mean_coef2: (a) => a.posteriorMeanCoef2,
  posterior_log_variance_clipped: (a) => a.posteriorLogVarianceClipped,
  log_betas: (a) => a.logBetas,
};

/** The model's timestep input: t·1000/T in float32 when rescaled (_scale_timesteps). */
export const modelTimesteps = (s: TrainingSchedule, t: ArrayLike<number>): Float32Array =>
  Float32Array.from(t, (v) => (s.rescaleTimesteps ? Math.fround(Math.fround(v) * Math.fround(1000 / s.numTimesteps)) : v));

/** The training graph's feeds for one microbatch: the parameters, the data and draws, and the schedule values at each t. */
export function microbatchFeeds(s: TrainingSchedule, params: Tensors, inputShapes: ReadonlyMap<string, readonly number[]>, m: Microbatch, imageShape: readonly number[]): Record<string, HostTensor> {
  const mb = m.t.length;
  const feeds: Record<string, HostTensor> = {
    x_start: hostTensor('float32', imageShape, m.xStart),
    noise: hostTensor('float32', imageShape, m.noise),
    t: hostTensor('float32', [mb], modelTimesteps(s, m.t)),
    first_step: hostTensor('bool', [mb], Uint8Array.from(m.t, (v) => (v === 0 ? 1 : 0))),
    loss_weights: hostTensor('float32', [mb], Float32Array.from(m.weights)),
  };
  for (const name of TRAINING_COEFFICIENTS) feeds[name] = hostTensor('float32', [mb], Float32Array.from(m.t, (v) => ARRAY_OF[name](s.arrays)[v]!));
  for (const [name, shape] of inputShapes) feeds[name] = hostTensor('float32', shape, params.get(name)!);
  return feeds;
}

/** A microbatch's outputs: the losses per sample and the model's output. */
export type MicrobatchResult = Record<'x_t' | 'out' | 'mse' | 'vb' | 'loss', Float32Array>;

/**
 * forward_backward: each microbatch's gradient of its mean loss added into the step's gradient, as
 * torch accumulates `.grad` (so with k microbatches the gradient is the sum of k means).
 */
export async function stepGradients(run: (feeds: Record<string, HostTensor>) => Promise<Record<string, HostTensor>>, feedsOf: (m: Microbatch) => Record<string, HostTensor>, params: Tensors, microbatches: readonly Microbatch[]): Promise<{ grads: Tensors; results: MicrobatchResult[] }> {
  const grads: Tensors = new Map([...params].map(([name, p]) => [name, new Float32Array(p.length)]));
  const results: MicrobatchResult[] = [];
  for (const m of microbatches) {
    const out = await run(feedsOf(m));
    for (const [name, sum] of grads) {
      const g = out[`${GRAD_PREFIX}${name}`]!.data as Float32Array;
      // A Float32Array store rounds as torch's float32 `+=` does.
      for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + g[i]!;
    }
    const pick = (k: keyof MicrobatchResult) => out[k]!.data as Float32Array;
    results.push({ x_t: pick('x_t'), out: pick('out'), mse: pick('mse'), vb: pick('vb'), loss: pick('loss') });
  }
  return { grads, results };
}
