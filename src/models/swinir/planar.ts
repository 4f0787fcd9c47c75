import { ShapeError } from '../../errors';

/** A float image, channel-planar (CHW) like a [C, H, W] tensor; SwinIR works on RGB in [0, 1]. */
export interface PlanarImage {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly data: Float32Array;
}

export function planarImage(channels: number, height: number, width: number, data: Float32Array = new Float32Array(channels * height * width)): PlanarImage {
  if (data.length !== channels * height * width) throw new ShapeError(`image of ${channels}×${height}×${width} needs ${channels * height * width} values, got ${data.length}`);
  return { channels, height, width, data };
}

/**
 * main_test_swinir.py's padding: to the next multiple of the window STRICTLY above the size
 * ((h // ws + 1)·ws, so 256 → 264: seed spec §10.3), bottom and right only.
 */
export const paddedSize = (size: number, windowSize: number): number => (Math.floor(size / windowSize) + 1) * windowSize;

/**
 * Row (or column) r of the padded image reads source index mirror(r): upstream concatenates the
 * flipped image (cat([img, flip(img)])[:h + pad]), so row h + k is row h − 1 − k. Upstream only
 * handles pad ≤ h (h ≥ 4 for window 8); beyond that this continues the same symmetric reflection.
 */
function mirror(r: number, size: number): number {
  const m = r % (2 * size);
  return m < size ? m : 2 * size - 1 - m;
}

/** Pads bottom and right to (height, width) by symmetric reflection (torch.flip concatenation). */
export function mirrorPad(image: PlanarImage, height: number, width: number): PlanarImage {
  const out = planarImage(image.channels, height, width);
  const cols = Int32Array.from({ length: width }, (_, x) => mirror(x, image.width));
  for (let c = 0; c < image.channels; c++) {
    for (let y = 0; y < height; y++) {
      const src = (c * image.height + mirror(y, image.height)) * image.width;
      const dst = (c * height + y) * width;
      for (let x = 0; x < width; x++) out.data[dst + x] = image.data[src + cols[x]!]!;
    }
  }
  return out;
}

/** The window [top, top + height) × [left, left + width) of every channel. */
export function crop(image: PlanarImage, top: number, left: number, height: number, width: number): PlanarImage {
  if (top < 0 || left < 0 || top + height > image.height || left + width > image.width) {
    throw new ShapeError(`crop ${height}×${width} at (${top}, ${left}) does not fit a ${image.height}×${image.width} image`);
  }
  const out = planarImage(image.channels, height, width);
  for (let c = 0; c < image.channels; c++) {
    for (let y = 0; y < height; y++) {
      const src = (c * image.height + top + y) * image.width + left;
      out.data.set(image.data.subarray(src, src + width), (c * height + y) * width);
    }
  }
  return out;
}

/** SwinIRPredictor.predict's final clamp_(0, 1). */
export const clampUnit = (image: PlanarImage): PlanarImage => ({ ...image, data: image.data.map((v) => Math.min(Math.max(v, 0), 1)) });
