import { ShapeError } from '../../errors';

/**
 * Index arithmetic of SwinIR's windowed attention (network_swinir.py), as plain arrays. Tokens of
 * a tile are kept in "window order": window by window (row-major over windows), each window's
 * ws×ws tokens row-major, which is the order window_partition produces on the unshifted image.
 */
export interface WindowGrid {
  readonly height: number;
  readonly width: number;
  readonly windowSize: number;
}

/** The grid of a tile; SwinIR's own check_image_size pads to a multiple of the window, so a tile must be one. */
export function windowGrid(height: number, width: number, windowSize: number): WindowGrid {
  if (height % windowSize !== 0 || width % windowSize !== 0 || height < 1 || width < 1) {
    throw new ShapeError(`SwinIR tile ${height}×${width} is not a positive multiple of the window size ${windowSize}`);
  }
  return { height, width, windowSize };
}

export const windowCount = ({ height, width, windowSize }: WindowGrid): number => (height / windowSize) * (width / windowSize);

/** Position of image pixel (row, col) in window order. */
function windowIndex({ width, windowSize: ws }: WindowGrid, row: number, col: number): number {
  const window = Math.floor(row / ws) * (width / ws) + Math.floor(col / ws);
  return window * ws * ws + (row % ws) * ws + (col % ws);
}

/** Row and column, in the (possibly rolled) image, of token t of window w. */
function tokenPixel({ width, windowSize: ws }: WindowGrid, w: number, t: number): [number, number] {
  return [Math.floor(w / (width / ws)) * ws + Math.floor(t / ws), (w % (width / ws)) * ws + (t % ws)];
}

/**
 * WindowAttention's relative_position_index: for tokens t, u of a window,
 * (Δrow + ws − 1)·(2ws − 1) + Δcol + ws − 1, a [ws², ws²] table into the (2ws − 1)² bias rows.
 */
export function relativePositionIndex(windowSize: number): BigInt64Array {
  const n = windowSize * windowSize;
  const index = new BigInt64Array(n * n);
  for (let t = 0; t < n; t++) {
    for (let u = 0; u < n; u++) {
      const dr = Math.floor(t / windowSize) - Math.floor(u / windowSize) + windowSize - 1;
      const dc = (t % windowSize) - (u % windowSize) + windowSize - 1;
      index[t * n + u] = BigInt(dr * (2 * windowSize - 1) + dc);
    }
  }
  return index;
}

/**
 * The gather that turns window order into the windows of the image rolled by −shift on both axes
 * (torch.roll then window_partition): entry s is the window-order position of the pixel that lands
 * at shifted token s. Its inverse (invertPermutation) undoes the roll after attention.
 */
export function shiftPermutation(grid: WindowGrid, shift: number): BigInt64Array {
  const { height, width, windowSize } = grid;
  const n = windowSize * windowSize;
  const perm = new BigInt64Array(height * width);
  for (let w = 0; w < windowCount(grid); w++) {
    for (let t = 0; t < n; t++) {
      const [r, c] = tokenPixel(grid, w, t);
      perm[w * n + t] = BigInt(windowIndex(grid, (r + shift) % height, (c + shift) % width));
    }
  }
  return perm;
}

export function invertPermutation(perm: BigInt64Array): BigInt64Array {
  const inverse = new BigInt64Array(perm.length);
  perm.forEach((p, s) => (inverse[Number(p)] = BigInt(s)));
  return inverse;
}

/**
 * calculate_mask's region labels, per window of the rolled image: rows (and columns) split at
 * size − ws and size − shift into three bands, label = 3·rowBand + colBand. Tokens that wrapped
 * around get a different label from their window's other tokens. [nW, ws²].
 */
export function shiftRegionLabels(grid: WindowGrid, shift: number): Float32Array {
  const { height, width, windowSize } = grid;
  const band = (p: number, size: number) => (p < size - windowSize ? 0 : p < size - shift ? 1 : 2);
  const n = windowSize * windowSize;
  const labels = new Float32Array(windowCount(grid) * n);
  for (let w = 0; w < windowCount(grid); w++) {
    for (let t = 0; t < n; t++) {
      const [r, c] = tokenPixel(grid, w, t);
      labels[w * n + t] = 3 * band(r, height) + band(c, width);
    }
  }
  return labels;
}

/** SwinIR's attn_mask [nW, ws², ws²]: 0 within a region, −100 across regions (calculate_mask). */
export function shiftMask(grid: WindowGrid, shift: number): Float32Array {
  const labels = shiftRegionLabels(grid, shift);
  const n = grid.windowSize ** 2;
  const mask = new Float32Array(windowCount(grid) * n * n);
  for (let w = 0; w < windowCount(grid); w++) {
    for (let t = 0; t < n; t++) {
      for (let u = 0; u < n; u++) mask[(w * n + t) * n + u] = labels[w * n + t] === labels[w * n + u] ? 0 : -100;
    }
  }
  return mask;
}
