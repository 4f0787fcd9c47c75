import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodePng, encodePng, readChunks } from '../../src/png';
import { crc32 } from '../../src/bytes/crc32';

const image = { width: 3, height: 2, data: Uint8Array.from({ length: 24 }, (_, i) => (i * 37) % 256) };

/** A PNG as another tool writes it: 8-bit `colour` type, the rows with their filter bytes. */
function pngFile(width: number, height: number, colour: number, rows: readonly number[][]): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, colour, 0, 0, 0], 8);
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  return new Uint8Array(Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.from(rows.flat()))),
    chunk('IEND', Buffer.alloc(0)),
  ]));
}

describe('PNG', () => {
  it('computes the standard CRC-32 check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('round-trips pixels and text (Latin-1 as tEXt, other text as iTXt)', () => {
    const bytes = encodePng(image, { parameters: 'a red fox\nSteps: 12, Seed: 7', prompt: 'café ☕ 猫' });
    const chunks = readChunks(bytes);
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'tEXt', 'iTXt', 'IDAT', 'IEND']);
    const decoded = decodePng(bytes);
    expect([decoded.width, decoded.height]).toEqual([3, 2]);
    expect([...decoded.data]).toEqual([...image.data]);
    expect(decoded.text).toEqual({ parameters: 'a red fox\nSteps: 12, Seed: 7', prompt: 'café ☕ 猫' });
  });

  it('undoes every row filter (Sub, Up, Average, Paeth) of an RGB file written elsewhere', () => {
    const rows = [
      [1, 10, 20, 30, 40, 50, 60],
      [2, 5, 5, 5, 1, 1, 1],
      [3, 7, 7, 7, 9, 9, 9],
      [4, 1, 2, 3, 4, 5, 6],
    ];
    const { data } = decodePng(pngFile(2, 4, 2, rows));
    // Row 0, Sub: [10,20,30] then [40+10, 50+20, 60+30].
    expect([...data.subarray(0, 8)]).toEqual([10, 20, 30, 255, 50, 70, 90, 255]);
    // Row 1, Up: previous row + [5,5,5], [1,1,1].
    expect([...data.subarray(8, 16)]).toEqual([15, 25, 35, 255, 51, 71, 91, 255]);
    // Row 2, Average: floor((left + up) / 2) + raw.
    expect([...data.subarray(16, 24)]).toEqual([7 + 7, 12 + 7, 17 + 7, 255, 32 + 9, 45 + 9, 57 + 9, 255]);
    // Row 3, Paeth: first pixel predicts from up; second pixel's predictor is the nearest of left/up/up-left.
    expect([...data.subarray(24, 28)]).toEqual([15, 21, 27, 255]);
  });

  it('reads grey and grey + alpha as RGBA, the grey replicated as Pillow converts L to RGB', () => {
    expect([...decodePng(pngFile(2, 1, 0, [[1, 40, 30]])).data]).toEqual([40, 40, 40, 255, 70, 70, 70, 255]);
    expect([...decodePng(pngFile(2, 1, 4, [[0, 40, 0, 90, 128]])).data]).toEqual([40, 40, 40, 0, 90, 90, 90, 128]);
    expect(() => decodePng(pngFile(1, 1, 3, [[0, 0]]))).toThrowError(/colour type 3.*8-bit grey, RGB or RGBA/);
  });

  it('refuses corrupt files with a clear error', () => {
    const bytes = encodePng(image);
    expect(() => decodePng(bytes.subarray(0, 20))).toThrowError(/runs past the end|truncated/);
    const flipped = bytes.slice();
    flipped[20]! ^= 0xff;
    expect(() => decodePng(flipped)).toThrowError(/IHDR at byte 8 has a bad CRC/);
    expect(() => decodePng(new Uint8Array(10))).toThrowError(/not a PNG file/);
  });
});
