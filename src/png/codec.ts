import { ImageError } from '../errors';
import { unzlibSync } from 'fflate';
import { concatBytes } from '../bytes/concat';
import { type Chunk, PNG_SIGNATURE, readChunks, writeChunk } from './chunks';
import { deflate, type PngText, readText, textChunk } from './text';

export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  /** width × height × 4 bytes, row-major, straight alpha. */
  readonly data: Uint8Array | Uint8ClampedArray;
}

export interface DecodedPng extends RgbaImage {
  readonly text: PngText;
}

/** An 8-bit RGBA PNG with the given text entries before the pixel data (filter 0 on every row). */
export function encodePng(image: RgbaImage, text: PngText = {}): Uint8Array {
  const { width, height, data } = image;
  if (data.length !== width * height * 4) throw new ImageError(`expected ${width * height * 4} RGBA bytes, got ${data.length}`);
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, 6, 0, 0, 0], 8); // bit depth 8, colour type 6 (RGBA), deflate, adaptive filtering, no interlace
  const raw = new Uint8Array(height * (1 + width * 4));
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * width * 4, (y + 1) * width * 4), y * (1 + width * 4) + 1);
  const chunks: Chunk[] = [
    { type: 'IHDR', data: ihdr },
    ...Object.entries(text).map(([k, v]) => textChunk(k, v)),
    { type: 'IDAT', data: deflate(raw) },
    { type: 'IEND', data: new Uint8Array(0) },
  ];
  return concatBytes([PNG_SIGNATURE, ...chunks.map(writeChunk)]);
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Reverses the PNG row filters in place; `bpp` is bytes per pixel. */
function unfilter(raw: Uint8Array, height: number, stride: number, bpp: number): Uint8Array {
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    if (filter > 4) throw new ImageError(`unknown filter type ${filter} on row ${y}`);
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[y * stride + x - bpp]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= bpp && y > 0 ? out[(y - 1) * stride + x - bpp]! : 0;
      const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter]!;
      out[y * stride + x] = (src[x]! + predictor) & 0xff;
    }
  }
  return out;
}

/** Bytes per pixel of the 8-bit colour types we read: grey (0), RGB (2), grey + alpha (4), RGBA (6). */
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/** RGBA from `channels`-byte pixels: grey is replicated, missing alpha is opaque (Pillow's convert). */
function toRgba(pixels: Uint8Array, count: number, channels: number): Uint8Array {
  if (channels === 4) return pixels;
  const out = new Uint8Array(count * 4);
  const colour = channels >= 3;
  for (let i = 0, p = 0, q = 0; i < count; i++, p += channels, q += 4) {
    out[q] = pixels[p]!;
    out[q + 1] = pixels[colour ? p + 1 : p]!;
    out[q + 2] = pixels[colour ? p + 2 : p]!;
    out[q + 3] = channels === 2 ? pixels[p + 1]! : 255;
  }
  return out;
}

/** Decodes 8-bit grey, grey + alpha, RGB or RGBA, non-interlaced PNGs (what we write and what most tools write). */
export function decodePng(bytes: Uint8Array): DecodedPng {
  const chunks = readChunks(bytes);
  const ihdr = chunks[0]?.type === 'IHDR' ? chunks[0].data : undefined;
  if (!ihdr || ihdr.length !== 13) throw new ImageError('missing IHDR chunk');
  const view = new DataView(ihdr.buffer, ihdr.byteOffset, 13);
  const width = view.getUint32(0);
  const height = view.getUint32(4);
  const [depth, colour, , , interlace] = ihdr.subarray(8);
  const channels = CHANNELS[colour!] ?? 0;
  if (depth !== 8 || channels === 0 || interlace !== 0) {
    throw new ImageError(`unsupported PNG (bit depth ${depth}, colour type ${colour}, interlace ${interlace}); use 8-bit grey, RGB or RGBA`);
  }
  const raw = unzlibSync(concatBytes(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
  if (raw.length !== height * (1 + width * channels)) throw new ImageError(`pixel data has ${raw.length} bytes, expected ${height * (1 + width * channels)}`);
  const pixels = unfilter(raw, height, width * channels, channels);
  const data = toRgba(pixels, width * height, channels);
  return { width, height, data, text: readText(chunks) };
}
