import { ImageError } from '../errors';
import type { RgbaLike } from './resize-types';

/**
 * Pillow's `Image.resize(size, filter)` on an 8-bit RGB(A) image: LANCZOS for clip-diffusion-art's
 * init image and image prompts (spec §4.3, §7.6), BOX and BICUBIC for guided-diffusion's training
 * crop (center_crop_arr, spec §12). Pillow's Resample.c: a separable filter whose support grows
 * with the downscale factor (antialiasing), coefficients normalised per output pixel then
 * fixed-point with 22 fractional bits, the horizontal pass first, each pass rounding and clamping
 * back to 8 bits. A pass is skipped when its size is unchanged.
 */
const PRECISION_BITS = 22;

const sinc = (x: number): number => (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x));

interface Filter {
  readonly support: number;
  readonly at: (x: number) => number;
}

/** Resample.c's filters (bicubic with a = −0.5). */
export const PILLOW_FILTERS = {
  lanczos: { support: 3, at: (x: number) => (x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
  bicubic: {
    support: 2,
    at: (x: number) => {
      const a = -0.5;
      const ax = Math.abs(x);
      if (ax < 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
      if (ax < 2) return (((ax - 5) * ax + 8) * ax - 4) * a;
      return 0;
    },
  },
  box: { support: 0.5, at: (x: number) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
} as const satisfies Record<string, Filter>;

export type PillowFilter = keyof typeof PILLOW_FILTERS;

interface Coefficients {
  /** First input index of each output pixel's window. */
  readonly start: Int32Array;
  readonly count: Int32Array;
  /** Fixed-point weights, `taps` per output pixel. */
  readonly weights: Int32Array;
  readonly taps: number;
}

/** precompute_coeffs + normalize_coeffs_8bpc of Resample.c, for the whole input (no box). */
function coefficients(inSize: number, outSize: number, filter: Filter): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const ss = 1 / filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * taps);
  const k = new Float64Array(taps);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let total = 0;
    for (let x = 0; x < xmax; x++) total += k[x] = filter.at((x + xmin - center + 0.5) * ss);
    for (let x = 0; x < xmax; x++) {
      const w = total === 0 ? k[x]! : k[x]! / total;
      weights[xx * taps + x] = Math.trunc(w < 0 ? -0.5 + w * 2 ** PRECISION_BITS : 0.5 + w * 2 ** PRECISION_BITS);
    }
    start[xx] = xmin;
    count[xx] = xmax;
  }
  return { start, count, weights, taps };
}

/** clip8: the accumulator (with its rounding half added) back to a byte. */
const clip8 = (acc: number): number => (acc >= 255 * 2 ** PRECISION_BITS ? 255 : acc <= 0 ? 0 : Math.floor(acc / 2 ** PRECISION_BITS));

/**
 * One pass along an axis of an interleaved RGBA image: `stride` and `step` say how to walk lines and
 * pixels (rows for the horizontal pass, columns for the vertical one). The sums stay below 2^53,
 * so float64 arithmetic reproduces Pillow's integer sums exactly.
 */
function pass(src: RgbaLike, out: { width: number; height: number }, horizontal: boolean, c: Coefficients): Uint8ClampedArray {
  const dst = new Uint8ClampedArray(out.width * out.height * 4);
  const lines = horizontal ? out.height : out.width;
  const length = horizontal ? out.width : out.height;
  for (let line = 0; line < lines; line++) {
    for (let i = 0; i < length; i++) {
      const base = i * c.taps;
      for (let ch = 0; ch < 4; ch++) {
        let acc = 2 ** (PRECISION_BITS - 1);
        for (let t = 0; t < c.count[i]!; t++) {
          const s = c.start[i]! + t;
          const p = horizontal ? (line * src.width + s) * 4 : (s * src.width + line) * 4;
          acc += src.data[p + ch]! * c.weights[base + t]!;
        }
        dst[(horizontal ? line * out.width + i : i * out.width + line) * 4 + ch] = clip8(acc);
      }
    }
  }
  return dst;
}

/** Resizes RGBA bytes to width × height as Pillow's `resize` with `filter` does (alpha is filtered like the colours; the seed's images are RGB). */
export function resizePillow(image: RgbaLike, width: number, height: number, filter: PillowFilter): RgbaLike {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) throw new ImageError(`cannot resize to ${width}×${height}`);
  if (image.data.length !== image.width * image.height * 4) throw new ImageError(`RGBA image of ${image.width}×${image.height} needs ${image.width * image.height * 4} bytes, got ${image.data.length}`);
  let current: RgbaLike = image;
  const f = PILLOW_FILTERS[filter];
  if (width !== image.width) current = { width, height: image.height, data: pass(current, { width, height: image.height }, true, coefficients(image.width, width, f)) };
  if (height !== image.height) current = { width, height, data: pass(current, { width, height }, false, coefficients(image.height, height, f)) };
  return current;
}
