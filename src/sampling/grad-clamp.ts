import { f, map1 } from './elementwise';

/** The cap clip-diffusion-art puts on the guidance gradient's RMS (spec §7, step 11). */
export const GRAD_RMS_CAP = 0.05;

/** `grad.square().mean().sqrt()` over the whole tensor (every batch element together). */
export function gradRms(grad: Float32Array): number {
  let sum = 0;
  for (const g of grad) sum += g * g;
  return f(Math.sqrt(f(sum / grad.length)));
}

/**
 * `grad * magnitude.clamp(max=0.05) / magnitude`: caps the RMS at 0.05, direction unchanged. Upstream
 * divides 0 by 0 for an all-zero gradient (NaN everywhere); a zero gradient is returned as is.
 */
export function clampGradRms(grad: Float32Array, cap = GRAD_RMS_CAP): { grad: Float32Array; magnitude: number } {
  const magnitude = gradRms(grad);
  if (magnitude === 0) return { grad: grad.slice(), magnitude };
  const capped = f(Math.min(magnitude, cap));
  return { grad: map1(grad, (g) => f(f(g * capped) / magnitude)), magnitude };
}
