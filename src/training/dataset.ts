import { ImageError } from '../errors';
import { decodeImage } from '../image/decode';
import { resizePillow } from '../image/pillow-resize';
import type { RgbaLike } from '../image/resize-types';
import { roundHalfEven } from '../sampling/respacing';

/** center_crop_arr's steps, for the data pipeline's checks: the image after the resizes, and the crop (HWC RGB bytes). */
export interface CenterCrop {
  readonly resized: RgbaLike;
  readonly crop: Uint8Array;
}

/**
 * guided-diffusion's center_crop_arr (seed-spec §12): BOX halvings while the short side is at least
 * twice `size`, a BICUBIC resize to a short side of `size` (Python's round of each side times the
 * scale; no resample when the size is unchanged, as Pillow copies), then the centre crop. The
 * image comes as RGBA: convert('RGB') drops alpha without compositing, so only RGB is kept.
 */
export function centerCropArr(image: RgbaLike, size: number): CenterCrop {
  if (!Number.isInteger(size) || size < 1) throw new ImageError(`the training image size must be a positive integer, got ${size}`);
  let current = image;
  while (Math.min(current.width, current.height) >= 2 * size) current = resizePillow(current, Math.floor(current.width / 2), Math.floor(current.height / 2), 'box');
  const scale = size / Math.min(current.width, current.height);
  const [w, h] = [roundHalfEven(current.width * scale), roundHalfEven(current.height * scale)];
  const resized = w === current.width && h === current.height ? current : resizePillow(current, w, h, 'bicubic');
  const [top, left] = [Math.floor((h - size) / 2), Math.floor((w - size) / 2)];
  const crop = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++) crop[(y * size + x) * 3 + c] = resized.data[((top + y) * w + left + x) * 4 + c]!;
  return { resized, crop };
}

/** ImageDataset.__getitem__ after the crop: flipped left–right when drawn (random() < 0.5), v/127.5 − 1 in float32, CHW. */
export function trainingTensor(crop: Uint8Array, size: number, flip: boolean): Float32Array {
  const out = new Float32Array(3 * size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sx = flip ? size - 1 - x : x;
      for (let c = 0; c < 3; c++) out[(c * size + y) * size + x] = Math.fround(Math.fround(crop[(y * size + sx) * 3 + c]! / 127.5) - 1);
    }
  }
  return out;
}

/** What _list_image_files_recursively keeps: a dot in the name and one of these extensions, any case. */
export const isImageFileName = (name: string): boolean => name.includes('.') && ['jpg', 'jpeg', 'png', 'gif'].includes(name.split('.').at(-1)!.toLowerCase());

/** A training set made from files: each image cropped once; what cannot serve is listed with the reason. */
export interface PreparedImages {
  readonly images: { readonly name: string; readonly crop: Uint8Array }[];
  readonly skipped: { readonly name: string; readonly reason: string }[];
}

/**
 * The files in path order through decodeImage and center_crop_arr, read one at a time (only the crops
 * are kept); names without an image extension and files that do not decode are skipped, not fatal.
 */
export async function prepareTrainingImages(names: readonly string[], read: (name: string) => Promise<Uint8Array>, size: number): Promise<PreparedImages> {
  const out: PreparedImages = { images: [], skipped: [] };
  for (const name of [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!isImageFileName(name)) {
      out.skipped.push({ name, reason: 'not a .jpg, .jpeg, .png or .gif file' });
      continue;
    }
    try {
      out.images.push({ name, crop: centerCropArr(decodeImage(await read(name)), size).crop });
    } catch (err) {
      if (!(err instanceof ImageError)) throw err;
      out.skipped.push({ name, reason: err.message });
    }
  }
  return out;
}
