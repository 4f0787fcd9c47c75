import { roundHalfEven } from '../sampling/respacing';
import { resizePillow } from './pillow-resize';
import type { RgbaLike } from './resize-types';

/** A rectangle cut out of an RGBA image. */
export function cropRgba(image: RgbaLike, top: number, left: number, height: number, width: number): RgbaLike {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) data.set(image.data.subarray(((top + y) * image.width + left) * 4, ((top + y) * image.width + left + width) * 4), y * width * 4);
  return { width, height, data };
}

/**
 * clip-diffusion-art's `resize_and_center_crop(image, (w, h))` (spec §7.6): scale by
 * f = max(w/W, h/H) to (int(f·W), int(f·H)) with LANCZOS, then torchvision's center_crop
 * (top = round((H' − h)/2), Python rounding). float64 here as in Python, so int() truncates alike;
 * a size that truncation leaves one short of the target is raised to it (center_crop would pad).
 */
export function coverResizeCrop(image: RgbaLike, width: number, height: number): RgbaLike {
  const f = Math.max(width / image.width, height / image.height);
  const w = Math.max(Math.trunc(f * image.width), width);
  const h = Math.max(Math.trunc(f * image.height), height);
  const resized = w === image.width && h === image.height ? image : resizePillow(image, w, h, 'lanczos');
  return cropRgba(resized, roundHalfEven((h - height) / 2), roundHalfEven((w - width) / 2), height, width);
}

/**
 * torchvision `TF.resize(img, size, LANCZOS)` with an int size on a PIL image (image prompts,
 * spec §4.3): the shorter side becomes `size`, the longer int(size·long/short); unchanged when the
 * shorter side already is `size`.
 */
export function resizeShorterSide(image: RgbaLike, size: number): RgbaLike {
  const short = Math.min(image.width, image.height);
  if (short === size) return image;
  const long = Math.trunc((size * Math.max(image.width, image.height)) / short);
  return image.width <= image.height ? resizePillow(image, size, long, 'lanczos') : resizePillow(image, long, size, 'lanczos');
}
