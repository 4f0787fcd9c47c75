import { SettingsError } from '../errors';
import type { Schedule } from './schedule';

/**
 * The schedule values of one step index j as the samplers use them: upstream's
 * `_extract_into_tensor` reads the float64 array and casts the value to float32 before any
 * arithmetic (spec §8.4, diffusion manifest notes), so every field here is float32-rounded.
 */
export interface StepCoefficients {
  readonly index: number;
  readonly alphaBar: number;
  readonly alphaBarPrev: number;
  readonly sqrtAlphaBar: number;
  readonly sqrtOneMinusAlphaBar: number;
  readonly sqrtRecipAlphaBar: number;
  readonly sqrtRecipm1AlphaBar: number;
  readonly posteriorMeanCoef1: number;
  readonly posteriorMeanCoef2: number;
  readonly logBeta: number;
  readonly posteriorLogVarianceClipped: number;
}

export function coefficientsAt(schedule: Schedule, index: number): StepCoefficients {
  if (!Number.isInteger(index) || index < 0 || index >= schedule.numTimesteps) {
    throw new SettingsError(`step index ${index} is outside the schedule's ${schedule.numTimesteps} steps`);
  }
  const at = (a: Float64Array) => Math.fround(a[index]!);
  return {
    index,
    alphaBar: at(schedule.alphasCumprod),
    alphaBarPrev: at(schedule.alphasCumprodPrev),
    sqrtAlphaBar: at(schedule.sqrtAlphasCumprod),
    sqrtOneMinusAlphaBar: at(schedule.sqrtOneMinusAlphasCumprod),
    sqrtRecipAlphaBar: at(schedule.sqrtRecipAlphasCumprod),
    sqrtRecipm1AlphaBar: at(schedule.sqrtRecipm1AlphasCumprod),
    posteriorMeanCoef1: at(schedule.posteriorMeanCoef1),
    posteriorMeanCoef2: at(schedule.posteriorMeanCoef2),
    logBeta: at(schedule.logBetas),
    posteriorLogVarianceClipped: at(schedule.posteriorLogVarianceClipped),
  };
}
