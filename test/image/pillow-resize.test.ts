import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { coverResizeCrop, resizeShorterSide } from '../../src/image/cover-crop';
import { resizePillow } from '../../src/image/pillow-resize';

/** A test pattern both sides compute: (37x + 91y + 53c + 7xy) mod 256, opaque. */
function pattern(width: number, height: number) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 4; c++) data[(y * width + x) * 4 + c] = c === 3 ? 255 : (x * 37 + y * 91 + c * 53 + x * y * 7) % 256;
  return { width, height, data };
}

const rgb = (rgba: Uint8Array | Uint8ClampedArray) => Array.from(rgba).filter((_, i) => i % 4 !== 3);

// Reference values from Pillow 12.3 (Image.frombytes('RGB', …).resize(size, Image.LANCZOS).tobytes()).
const PIL_13x9_TO_5x4 = [100, 127, 143, 123, 137, 148, 121, 126, 133, 110, 123, 141, 120, 147, 114, 130, 135, 126, 146, 137, 134, 137, 132, 123, 131, 130, 129, 134, 143, 145, 109, 156, 123, 129, 127, 109, 148, 137, 128, 125, 131, 102, 142, 106, 132, 130, 101, 153, 130, 119, 141, 119, 122, 120, 127, 122, 135, 129, 95, 156];
const PIL_13x9_TO_20x7 = [8, 55, 138, 18, 84, 164, 54, 139, 180, 98, 168, 148, 140, 149, 141, 149, 124, 179, 120, 139, 206, 111, 189, 164, 144, 194, 75, 189, 100, 87, 143, 53, 136, 49, 98, 147, 54, 132, 121, 103, 122, 104, 118, 94, 137, 93, 103, 210, 74, 144, 186, 104, 189, 63, 158, 225, 50, 187, 236, 89, 145, 214, 114, 180, 161, 155, 192, 116, 161, 120, 162, 73, 130, 119, 63, 153, 47, 134, 68, 88, 178, 50, 156, 148, 116, 166, 99, 164, 115, 116, 140, 91, 185, 89, 139, 219, 98, 207, 142, 166, 188, 108, 208, 102, 151, 136, 125, 100, 93, 135, 59, 139, 62, 111, 94, 74, 174, 40, 111, 201, 61, 127, 77, 103, 102, 94, 137, 82, 152, 97, 116, 219, 89, 193, 171, 147, 216, 101, 216, 130, 145, 186, 116, 142, 107, 162, 101, 147, 116, 150, 151, 121, 125, 106, 161, 43, 162, 83, 76, 148, 46, 152, 53, 117, 179, 74, 176, 150, 153, 175, 151, 186, 144, 193, 166, 169, 123, 141, 199, 47, 109, 150, 207, 105, 191, 124, 139, 186, 48, 208, 81, 116, 167, 85, 129, 98, 149, 108, 141, 118, 159, 150, 137, 137, 125, 176, 80, 177, 115, 125, 172, 101, 137, 106, 150, 109, 103, 125, 178, 118, 147, 170, 129, 208, 67, 203, 129, 59, 197, 51, 115, 89, 92, 151, 87, 167, 192, 128, 203, 206, 161, 195, 52, 89, 153, 108, 36, 113, 175, 114, 170, 158, 127, 191, 74, 103, 143, 35, 161, 86, 111, 150, 107, 129, 104, 157, 96, 148, 120, 149, 180, 146, 163, 139, 219, 104, 70, 174, 59, 74, 93, 88, 137, 81, 139, 115, 158, 89, 127, 181, 66, 209, 90, 118, 153, 40, 122, 79, 44, 101, 50, 142, 216, 123, 102, 185, 193, 85, 117, 139, 147, 72, 66, 167, 135, 63, 120, 206, 140, 73, 160, 142, 99, 92, 104, 158, 91, 171, 150, 152, 206, 82, 173, 153, 42, 122, 97, 108, 79, 119, 162, 107, 191, 122, 165, 188, 46, 132, 115, 55, 126, 61, 150, 206, 131, 144, 193, 204, 104, 152, 220, 62, 110, 161, 53, 99, 81, 80, 137, 83, 153, 230, 173, 139, 206, 228, 75, 123, 149, 68, 141, 118, 131, 110, 125, 180, 61, 38, 132, 117, 39, 84, 176, 136, 111, 163, 173, 182, 98, 110, 188, 93, 39, 124, 165, 93, 136, 205, 183, 110, 152, 185, 19, 72, 105, 78, 131, 47, 155, 208];

describe("Pillow's LANCZOS resize", () => {
  it('matches Pillow exactly when shrinking both axes (antialiased support)', () => {
    expect(rgb(resizePillow(pattern(13, 9), 5, 4, 'lanczos').data)).toEqual(PIL_13x9_TO_5x4);
  });

  it('matches Pillow exactly when enlarging one axis and shrinking the other', () => {
    expect(rgb(resizePillow(pattern(13, 9), 20, 7, 'lanczos').data)).toEqual(PIL_13x9_TO_20x7);
  });

  it("cover-resize + centre crop is clip-diffusion-art's resize_and_center_crop (300×200 → 384×256 → 256², Pillow + TF.center_crop)", () => {
    const out = coverResizeCrop(pattern(300, 200), 256, 256);
    const bytes = Uint8Array.from(rgb(out.data));
    expect([out.width, out.height]).toEqual([256, 256]);
    expect(Array.from(bytes.subarray(0, 12))).toEqual([33, 114, 163, 89, 142, 183, 120, 160, 249, 141, 211, 194]);
    expect(bytes.reduce((s, v) => s + v, 0)).toBe(25003372);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe('4372dcceb7f84c0df8ac6d73b7578aa392510ca21817575bd23ea75fdb921d76');
  });

  it('resizes image prompts by the shorter side only when it differs', () => {
    const img = pattern(30, 20);
    expect(resizeShorterSide(img, 20)).toBe(img);
    const r = resizeShorterSide(img, 10);
    expect([r.width, r.height]).toEqual([15, 10]);
  });
});

describe("Pillow's BOX and BICUBIC (guided-diffusion's training crop)", () => {
  it('halves with BOX as the mean of each 2×2 block, each pass rounding half up to a byte', () => {
    const image = pattern(6, 4);
    const half = resizePillow(image, 3, 2, 'box');
    const at = (x: number, y: number, c: number) => image.data[(y * 6 + x) * 4 + c]!;
    const expected = Array.from({ length: 2 * 3 * 4 }, (_, k) => {
      const [p, c] = [Math.floor(k / 4), k % 4];
      const [x, y] = [(p % 3) * 2, Math.floor(p / 3) * 2];
      const row = (yy: number) => Math.floor((at(x, yy, c) + at(x + 1, yy, c) + 1) / 2);
      return Math.floor((row(y) + row(y + 1) + 1) / 2);
    });
    expect([...half.data]).toEqual(expected);
  });

  it('keeps a constant image constant and an unchanged size untouched with BICUBIC', () => {
    const flat = { width: 7, height: 5, data: new Uint8ClampedArray(7 * 5 * 4).fill(77) };
    expect([...new Set(resizePillow(flat, 4, 3, 'bicubic').data)]).toEqual([77]);
    const image = pattern(7, 5);
    expect(resizePillow(image, 7, 5, 'bicubic')).toBe(image);
  });
});
