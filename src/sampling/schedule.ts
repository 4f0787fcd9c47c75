import { SettingsError } from '../errors';
import { spaceTimesteps } from './respacing';

export type NoiseSchedule = 'linear' | 'cosine';

/**
 * The float64 arrays of guided-diffusion's `GaussianDiffusion.__init__` (spec §8.1–8.2), indexed by
 * the (respaced) step index j. `logBetas` is the `np.log(self.betas)` that p_mean_variance uses as
 * the upper end of the learned variance range.
 */
export interface DiffusionArrays {
  readonly betas: Float64Array;
  readonly logBetas: Float64Array;
  readonly alphasCumprod: Float64Array;
  readonly alphasCumprodPrev: Float64Array;
  readonly sqrtAlphasCumprod: Float64Array;
  readonly sqrtOneMinusAlphasCumprod: Float64Array;
  readonly sqrtRecipAlphasCumprod: Float64Array;
  readonly sqrtRecipm1AlphasCumprod: Float64Array;
  readonly posteriorVariance: Float64Array;
  readonly posteriorLogVarianceClipped: Float64Array;
  readonly posteriorMeanCoef1: Float64Array;
  readonly posteriorMeanCoef2: Float64Array;
}

/** A respaced diffusion (SpacedDiffusion): its arrays plus what maps a step index to the model's timestep. */
export interface Schedule extends DiffusionArrays {
  /** Number of respaced steps (`num_timesteps`). */
  readonly numTimesteps: number;
  /** The original diffusion_steps T. */
  readonly originalNumSteps: number;
  /** Kept original timesteps, ascending (`timestep_map`). */
  readonly timestepMap: readonly number[];
  readonly rescaleTimesteps: boolean;
}

export interface ScheduleOptions {
  /** `--diffusion_steps` (T). */
  readonly steps: number;
  /** `--sampling`: '', 'ddimN' or 'N' (spec §8.2). */
  readonly respacing: string;
  readonly noiseSchedule?: NoiseSchedule;
  /** True in every config we ship (spec §8.9). */
  readonly rescaleTimesteps?: boolean;
}

/** `np.linspace(scale*1e-4, scale*0.02, T)` with scale = 1000/T: `start + i*step`, last element exactly the end. */
export function linearBetas(numSteps: number): Float64Array {
  const scale = 1000 / numSteps;
  const start = scale * 0.0001;
  const end = scale * 0.02;
  const step = (end - start) / (numSteps - 1);
  const betas = Float64Array.from({ length: numSteps }, (_, i) => i * step + start);
  betas[numSteps - 1] = end;
  return betas;
}

/** `betas_for_alpha_bar` with the squared-cosine ᾱ(t) of Nichol & Dhariwal, betas capped at 0.999. */
export function cosineBetas(numSteps: number): Float64Array {
  const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * Math.PI / 2) ** 2;
  return Float64Array.from({ length: numSteps }, (_, i) => Math.min(1 - alphaBar((i + 1) / numSteps) / alphaBar(i / numSteps), 0.999));
}

export function namedBetas(name: NoiseSchedule, numSteps: number): Float64Array {
  if (name === 'linear') return linearBetas(numSteps);
  if (name === 'cosine') return cosineBetas(numSteps);
  throw new SettingsError(`unknown noise schedule '${String(name)}' (linear or cosine)`);
}

const map = (a: Float64Array, f: (v: number, i: number) => number): Float64Array => a.map(f);

/** Every derived array of GaussianDiffusion, in float64 as numpy computes them. */
export function diffusionArrays(betas: Float64Array): DiffusionArrays {
  const n = betas.length;
  const alphasCumprod = new Float64Array(n);
  let product = 1;
  betas.forEach((b, i) => (alphasCumprod[i] = product *= 1 - b));
  const alphasCumprodPrev = map(alphasCumprod, (_, i) => (i === 0 ? 1 : alphasCumprod[i - 1]!));
  const posteriorVariance = map(betas, (b, i) => (b * (1 - alphasCumprodPrev[i]!)) / (1 - alphasCumprod[i]!));
  return {
    betas,
    logBetas: map(betas, Math.log),
    alphasCumprod,
    alphasCumprodPrev,
    sqrtAlphasCumprod: map(alphasCumprod, Math.sqrt),
    sqrtOneMinusAlphasCumprod: map(alphasCumprod, (a) => Math.sqrt(1 - a)),
    sqrtRecipAlphasCumprod: map(alphasCumprod, (a) => Math.sqrt(1 / a)),
    sqrtRecipm1AlphasCumprod: map(alphasCumprod, (a) => Math.sqrt(1 / a - 1)),
    posteriorVariance,
    // "Clipped" because the posterior variance is 0 at j = 0: index 0 takes index 1's value.
    posteriorLogVarianceClipped: map(posteriorVariance, (_, i) => Math.log(posteriorVariance[Math.max(i, 1)]!)),
    posteriorMeanCoef1: map(betas, (b, i) => (b * Math.sqrt(alphasCumprodPrev[i]!)) / (1 - alphasCumprod[i]!)),
    posteriorMeanCoef2: map(betas, (b, i) => ((1 - alphasCumprodPrev[i]!) * Math.sqrt(1 - b)) / (1 - alphasCumprod[i]!)),
  };
}

/** SpacedDiffusion: β'_j = 1 − ᾱ(t_j)/ᾱ(t_{j−1}) over the kept steps, with ᾱ(t_{−1}) = 1 (spec §8.2). */
export function respacedBetas(baseAlphasCumprod: Float64Array, kept: readonly number[]): Float64Array {
  let last = 1;
  return Float64Array.from(kept, (t) => {
    const a = baseAlphasCumprod[t]!;
    const beta = 1 - a / last;
    last = a;
    return beta;
  });
}

/** The schedule the sampler runs: base betas, respaced to `respacing` (spec §8.1–8.3). */
export function createSchedule({ steps, respacing, noiseSchedule = 'linear', rescaleTimesteps = true }: ScheduleOptions): Schedule {
  const kept = spaceTimesteps(steps, respacing);
  const base = diffusionArrays(namedBetas(noiseSchedule, steps));
  return {
    ...diffusionArrays(respacedBetas(base.alphasCumprod, kept)),
    numTimesteps: kept.length,
    originalNumSteps: steps,
    timestepMap: kept,
    rescaleTimesteps,
  };
}

/**
 * The timestep the model (and cond_fn) receives at step index j (`_WrappedModel`, spec §8.3):
 * `timestep_map[j] * (1000 / T)` as float32 when rescale_timesteps, else the integer step.
 */
export function modelTimestep(schedule: Schedule, index: number): number {
  const t = schedule.timestepMap[index];
  if (t === undefined) throw new SettingsError(`step index ${index} is outside the schedule's ${schedule.numTimesteps} steps`);
  return schedule.rescaleTimesteps ? Math.fround(t * Math.fround(1000 / schedule.originalNumSteps)) : t;
}
