import { adaptivePoolMatrix } from '../../graph';
import { roundHalfEven } from '../../sampling/respacing';
import { paddedSize, padOf, type CutoutGeometry, type CutoutParams } from './cutout-params';

/**
 * The cutout operator is linear in the image, so each call's random parameters become plain arrays
 * fed to one fixed graph: pooling matrices (crop and adaptive_avg_pool2d), and for augmented cutouts
 * a list of taps (up to four weighted source pixels for each pixel of a padded-size canvas) and a
 * colour matrix.
 */

/** adaptive_avg_pool's row and column matrices of a crop: one matrix when the crop is square, as random crops are. */
function cropPools(crop: { readonly height: number; readonly width: number }, cs: number): [rows: Float64Array, cols: Float64Array] {
  const rows = adaptivePoolMatrix(crop.height, cs);
  return [rows, crop.width === crop.height ? rows : adaptivePoolMatrix(crop.width, cs)];
}

/** Writes a [cs, size] pooling matrix into out[cs, span] at column `at` (columns outside [0, span) dropped: zero padding). */
function writePool(out: Float32Array, base: number, span: number, m: Float64Array, cs: number, at: number): void {
  const size = m.length / cs;
  for (let i = 0; i < cs; i++) {
    for (let k = 0; k < size; k++) {
      const col = at + k;
      if (col >= 0 && col < span) out[base + i * span + col] = m[i * size + k]!;
    }
  }
}

export interface CropFeeds {
  /** [cutn, cs, H]: pooled row i of cutout k from rows of the unpadded image. */
  readonly rows: Float32Array;
  /** [cutn, cs, W]. */
  readonly cols: Float32Array;
}

/** skip_augs cutouts: pad, crop and pool folded into two matrices per cutout over the unpadded image. */
export function cropFeeds(params: readonly CutoutParams[], g: CutoutGeometry): CropFeeds {
  const cs = g.cutSize;
  const p = padOf(g);
  const rows = new Float32Array(params.length * cs * g.height);
  const cols = new Float32Array(params.length * cs * g.width);
  params.forEach(({ crop }, k) => {
    const [mRows, mCols] = cropPools(crop, cs);
    writePool(rows, k * cs * g.height, g.height, mRows, cs, crop.offsetY - p);
    writePool(cols, k * cs * g.width, g.width, mCols, cs, crop.offsetX - p);
  });
  return { rows, cols };
}

export interface AugmentedFeeds {
  /**
   * The taps with a source in the image, channel after channel ([3 · taps], int32): the source pixel
   * as a flat index c·H·W + y·W + x of the unpadded image.
   */
  readonly tapSource: Int32Array;
  /** Same layout: the canvas pixel the tap adds into, c·cutn·Hp·Wp + k·Hp·Wp + i·Wp + j. */
  readonly tapTarget: Int32Array;
  /** Same layout: the tap's weight. */
  readonly tapWeight: Float32Array;
  /** [cutn, cs, Hp] and [cutn, cs, Wp]: pooling of the h × w augmented cutout at the canvas' top left. */
  readonly rows: Float32Array;
  readonly cols: Float32Array;
  /** [cutn, 3, 3]: identity, or RandomGrayscale's 0.2989/0.587/0.114 in every row. */
  readonly color: Float32Array;
}

/** Pixel (y, x) of the flipped or unflipped crop as a flat index of the unpadded image, or −1 in the zero padding. */
export function cropPixelToInput(y: number, x: number, c: CutoutParams, g: CutoutGeometry): number {
  const { width: w, offsetY, offsetX } = c.crop;
  const p = padOf(g);
  const iy = offsetY + y - p;
  const ix = offsetX + (c.augment?.flip ? w - 1 - x : x) - p;
  return iy < 0 || iy >= g.height || ix < 0 || ix >= g.width ? -1 : iy * g.width + ix;
}

/**
 * Where the affine output pixel (y, x) of the flipped h × w crop reads: §5.1's inverse rotation
 * about the centre, nearest pixel by round-half-even (torch's nearbyint), fill 0 outside.
 * Evaluated in float64; torch's float32 grid picks the other pixel at rare near-ties (~2e-5).
 */
export function affineSources(c: CutoutParams, g: CutoutGeometry): Int32Array {
  const { height: h, width: w } = c.crop;
  const a = c.augment!;
  const rot = (a.angle * Math.PI) / 180;
  const [cos, sin] = [Math.cos(rot), Math.sin(rot)];
  const [tx, ty] = a.translate;
  const out = new Int32Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const xc = x + 0.5 - w / 2 - tx;
      const yc = y + 0.5 - h / 2 - ty;
      const sx = roundHalfEven(cos * xc + sin * yc + (w - 1) / 2);
      const sy = roundHalfEven(-sin * xc + cos * yc + (h - 1) / 2);
      out[y * w + x] = sx < 0 || sx > w - 1 || sy < 0 || sy > h - 1 ? -1 : cropPixelToInput(sy, sx, c, g);
    }
  }
  return out;
}

/** One pixel's taps: source index and weight; scratch reused for every pixel (no per-pixel arrays: ~1.5M pixels per sub-batch of 10). */
interface Taps {
  count: number;
  readonly at: Int32Array;
  readonly weight: Float64Array;
}

/** RandomPerspective's bilinear read at output (i, j) into `taps`: the in-bounds corners in (y0, x0), (y0, x0+1), (y0+1, x0), (y0+1, x0+1) order, weighted, then times the mask (their weight sum). */
function perspectiveTaps(i: number, j: number, c: readonly number[], h: number, w: number, taps: Taps): void {
  const x = j + 0.5;
  const y = i + 0.5;
  const d = c[6]! * x + c[7]! * y + 1;
  const ix = (c[0]! * x + c[1]! * y + c[2]!) / d - 0.5;
  const iy = (c[3]! * x + c[4]! * y + c[5]!) / d - 0.5;
  const x0 = Math.floor(ix);
  const y0 = Math.floor(iy);
  const fx = ix - x0;
  const fy = iy - y0;
  let mask = 0;
  taps.count = 0;
  for (let k = 0; k < 4; k++) {
    const [ty, tx] = [y0 + (k >> 1), x0 + (k & 1)];
    if (ty < 0 || ty >= h || tx < 0 || tx >= w) continue;
    const v = (k >> 1 ? fy : 1 - fy) * (k & 1 ? fx : 1 - fx);
    taps.at[taps.count] = ty * w + tx;
    taps.weight[taps.count++] = v;
    mask += v;
  }
  for (let t = 0; t < taps.count; t++) taps.weight[t]! *= mask;
}

/** One channel's tap list as it grows: source pixel, canvas pixel and weight. */
interface TapList {
  count: number;
  readonly source: Int32Array;
  readonly target: Int32Array;
  readonly weight: Float32Array;
}

/** Lists the taps of one cutout's h × w pixels on its Hp × Wp canvas (taps outside the image and taps of weight 0 add nothing). */
function listCutoutTaps(list: TapList, k: number, c: CutoutParams, g: CutoutGeometry, source: Int32Array): void {
  const a = c.augment!;
  const [hp, wp] = paddedSize(g);
  const { height: h, width: w } = c.crop;
  const taps: Taps = { count: 1, at: new Int32Array(4), weight: Float64Array.of(1, 0, 0, 0) };
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      if (a.perspective) perspectiveTaps(i, j, a.perspective, h, w, taps);
      else taps.at[0] = i * w + j;
      for (let t = 0; t < taps.count; t++) {
        const src = source[taps.at[t]!]!;
        const weight = Math.fround(taps.weight[t]!);
        if (src < 0 || weight === 0) continue;
        list.source[list.count] = src;
        list.target[list.count] = k * hp * wp + i * wp + j;
        list.weight[list.count++] = weight;
      }
    }
  }
}

/** The three channels' lists from channel 0's: sources and targets offset by a plane, weights repeated. */
function perChannel(list: TapList, g: CutoutGeometry, cutn: number): Pick<AugmentedFeeds, 'tapSource' | 'tapTarget' | 'tapWeight'> {
  const [hp, wp] = paddedSize(g);
  const n = list.count;
  const [tapSource, tapTarget, tapWeight] = [new Int32Array(3 * n), new Int32Array(3 * n), new Float32Array(3 * n)];
  for (let c = 0; c < 3; c++) {
    const [imagePlane, canvasPlane] = [c * g.height * g.width, c * cutn * hp * wp];
    for (let i = 0; i < n; i++) {
      tapSource[c * n + i] = list.source[i]! + imagePlane;
      tapTarget[c * n + i] = list.target[i]! + canvasPlane;
    }
    tapWeight.set(list.weight.subarray(0, n), c * n);
  }
  return { tapSource, tapTarget, tapWeight };
}

const GRAY = [0.2989, 0.587, 0.114];

/**
 * Feeds of the augmented cutout graph for one call's parameters (every cutout must carry its
 * augmentation). `sources` are the affine read maps, computed unless given.
 */
export function augmentedFeeds(params: readonly CutoutParams[], g: CutoutGeometry, sources: readonly Int32Array[] = params.map((c) => affineSources(c, g))): AugmentedFeeds {
  const [hp, wp] = paddedSize(g);
  const n = params.length;
  const cs = g.cutSize;
  const most = params.reduce((sum, c) => sum + 4 * c.crop.height * c.crop.width, 0);
  const list: TapList = { count: 0, source: new Int32Array(most), target: new Int32Array(most), weight: new Float32Array(most) };
  const rows = new Float32Array(n * cs * hp);
  const cols = new Float32Array(n * cs * wp);
  const color = new Float32Array(n * 9);
  params.forEach((c, k) => {
    listCutoutTaps(list, k, c, g, sources[k]!);
    const [mRows, mCols] = cropPools(c.crop, cs);
    writePool(rows, k * cs * hp, hp, mRows, cs, 0);
    writePool(cols, k * cs * wp, wp, mCols, cs, 0);
    for (let r = 0; r < 3; r++) for (let s = 0; s < 3; s++) color[k * 9 + r * 3 + s] = c.augment!.grayscale ? GRAY[s]! : r === s ? 1 : 0;
  });
  return { ...perChannel(list, g, n), rows, cols, color };
}
