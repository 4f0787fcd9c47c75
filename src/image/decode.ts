import { decode as decodeJpeg } from 'jpeg-js';
import { GifReader } from 'omggif';
import { ImageError } from '../errors';
import { decodePng, isPng } from '../png/index';
import type { RgbaLike } from './resize-types';

/**
 * A dataset file to RGBA, sniffed from its bytes (guided-diffusion lists .jpg/.jpeg/.png/.gif and
 * lets Pillow open them): PNG with our exact decoder; JPEG with jpeg-js (pure JS, the same in the
 * worker and the CLI; its IDCT is not libjpeg's, so pixels may differ from Pillow's by a level or
 * two); GIF's first frame with omggif, its transparent index taking its palette colour as
 * Pillow's convert('RGB') gives it. Everything else is an ImageError saying what the file is not.
 */

/** Pixels we decode at most: a 64 MP photo is far beyond what a 256² crop needs. */
const MAX_PIXELS = 64 * 1024 * 1024;

const checkSize = (width: number, height: number): void => {
  if (width * height > MAX_PIXELS) throw new ImageError(`${width}×${height} is over the ${MAX_PIXELS / 1024 / 1024} MP we decode; scale it down first`);
};

const isJpeg = (b: Uint8Array): boolean => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
const isGif = (b: Uint8Array): boolean => b.length > 6 && String.fromCharCode(...b.subarray(0, 4)) === 'GIF8';

function gifFirstFrame(bytes: Uint8Array): RgbaLike {
  const reader = new GifReader(bytes);
  checkSize(reader.width, reader.height);
  if (reader.numFrames() < 1) throw new ImageError('the GIF has no frames');
  const frame = reader.frameInfo(0);
  const data = new Uint8Array(reader.width * reader.height * 4);
  const transparent = frame.transparent_index;
  if (transparent !== null && frame.palette_offset !== null) {
    const at = frame.palette_offset + transparent * 3;
    for (let i = 0; i < data.length; i += 4) data.set([bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, 255], i);
  }
  reader.decodeAndBlitFrameRGBA(0, data);
  return { width: reader.width, height: reader.height, data };
}

export function decodeImage(bytes: Uint8Array): RgbaLike {
  try {
    if (isPng(bytes)) return decodePng(bytes);
    if (isJpeg(bytes)) return decodeJpeg(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
    if (isGif(bytes)) return gifFirstFrame(bytes);
  } catch (err) {
    throw err instanceof ImageError ? err : new ImageError(`cannot decode it: ${(err as Error).message}`);
  }
  throw new ImageError('not a PNG, JPEG or GIF');
}
