import { SettingsError } from '../../errors';

/** How a padded image is cut: tile edges and overlap in input pixels, multiples of the window size. */
export interface TileOptions {
  readonly tile: number;
  readonly overlap: number;
}

/** One axis of the plan: the tile length (≤ the image) and where each tile starts. */
export interface AxisPlan {
  readonly length: number;
  readonly size: number;
  readonly starts: readonly number[];
}

/**
 * main_test_swinir.py's test(): tile = min(tile, size), starts every tile − overlap and a last tile
 * flush with the end. Starts stay multiples of the window, so every tile sees the image's own
 * window grid.
 */
export function planAxis(length: number, { tile, overlap }: TileOptions, windowSize: number): AxisPlan {
  const bad = [tile, overlap].some((v) => !Number.isInteger(v) || v < 0 || v % windowSize !== 0);
  if (bad || tile === 0 || overlap >= tile) {
    throw new SettingsError(`tile ${tile} and overlap ${overlap} must be multiples of the window size ${windowSize}, with 0 ≤ overlap < tile`);
  }
  const size = Math.min(tile, length);
  const starts: number[] = [];
  for (let s = 0; s < length - size; s += tile - overlap) starts.push(s);
  starts.push(length - size);
  return { length, size, starts };
}

/**
 * Blending weight along one axis of a tile, per output pixel (input pixels × scale): 0 within
 * overlap·3/8 of an edge shared with another tile, rising linearly to 1 over the next overlap/4,
 * 1 elsewhere and along the image's own edges. A tile's outputs next to an inner edge are the ones
 * its missing context disturbs most, so they get no weight; where two tiles overlap by exactly
 * `overlap` the two ramps sum to 1.
 */
export function blendWeights(plan: AxisPlan, start: number, overlap: number, scale: number): Float32Array {
  const n = plan.size * scale;
  const weights = new Float32Array(n).fill(1);
  if (overlap === 0) return weights;
  const ramp = overlap / 4;
  const margin = (overlap - ramp) / 2;
  const rise = (d: number) => Math.min(Math.max((d - margin) / ramp, 0), 1);
  for (let u = 0; u < n; u++) {
    const centre = (u + 0.5) / scale;
    if (start > 0) weights[u]! *= rise(centre);
    if (start + plan.size < plan.length) weights[u]! *= rise(plan.size - centre);
  }
  return weights;
}
