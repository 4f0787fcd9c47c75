import { ImageError } from '../errors';
import { crc32 } from '../bytes/crc32';

export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

export const isPng = (bytes: Uint8Array): boolean => PNG_SIGNATURE.every((b, i) => bytes[i] === b);

export interface Chunk {
  readonly type: string;
  readonly data: Uint8Array;
}

const typeBytes = (type: string): Uint8Array => Uint8Array.from(type, (ch) => ch.charCodeAt(0));

export function writeChunk(chunk: Chunk): Uint8Array {
  const out = new Uint8Array(12 + chunk.data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, chunk.data.length);
  out.set(typeBytes(chunk.type), 4);
  out.set(chunk.data, 8);
  view.setUint32(8 + chunk.data.length, crc32(out.subarray(4, 8 + chunk.data.length)));
  return out;
}

/** Splits a PNG file into chunks, checking the signature, every length and every CRC. */
export function readChunks(bytes: Uint8Array): Chunk[] {
  if (!isPng(bytes)) throw new ImageError('not a PNG file (bad signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: Chunk[] = [];
  for (let at = 8; at < bytes.length; ) {
    if (at + 12 > bytes.length) throw new ImageError(`truncated chunk header at byte ${at}`);
    const length = view.getUint32(at);
    if (at + 12 + length > bytes.length) throw new ImageError(`chunk at byte ${at} runs past the end of the file`);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const crc = crc32(bytes.subarray(at + 4, at + 8 + length));
    if (crc !== view.getUint32(at + 8 + length)) throw new ImageError(`chunk ${type} at byte ${at} has a bad CRC`);
    chunks.push({ type, data: bytes.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
    if (type === 'IEND') break;
  }
  return chunks;
}
