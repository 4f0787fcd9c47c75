import { SettingsError } from '../errors';
import { f, map2 } from './elementwise';
import type { Schedule } from './schedule';

/**
 * cond_fn's `fac = sqrt_one_minus_alphas_cumprod[cur_t]` of the respaced diffusion (spec §7, step 3):
 * a float64 scalar, 0.99980631 at the default first step, 0.01 at the last.
 */
export function guidanceFac(schedule: Schedule, index: number): number {
  const fac = schedule.sqrtOneMinusAlphasCumprod[index];
  if (fac === undefined) throw new SettingsError(`step index ${index} is outside the schedule's ${schedule.numTimesteps} steps`);
  return fac;
}

/**
 * `x_in = pred_xstart * fac + x * (1 - fac)` (spec §7, step 4): the image CLIP sees, mostly x̂0 early
 * and mostly x late. The Python float scalars enter the float32 ops as float32.
 */
export function guidanceInput(predXstart: Float32Array, x: Float32Array, fac: number): Float32Array {
  const a = f(fac);
  const b = f(1 - fac);
  return map2('guidance x_in', predXstart, x, (p, xi) => f(f(p * a) + f(xi * b)));
}

export interface GuidanceScales {
  readonly clipGuidanceScale: number;
  readonly tvScale: number;
  readonly rangeScale: number;
  readonly saturationScale: number;
  readonly initScale: number;
}

/**
 * `calculate_scale_multiplier` (spec §4.4): the CLIP, TV and range scales are multiplied by
 * `--scale_multiplier`; saturation and init are not. Applied once per sample, never compounded.
 */
export function applyScaleMultiplier(scales: GuidanceScales, multiplier: number): GuidanceScales {
  return {
    ...scales,
    clipGuidanceScale: scales.clipGuidanceScale * multiplier,
    tvScale: scales.tvScale * multiplier,
    rangeScale: scales.rangeScale * multiplier,
  };
}
