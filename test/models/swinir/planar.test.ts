import { expect, it } from 'vitest';
import { rgbaToUnitChw, unitChwToRgba } from '../../../src/image/unit-chw';
import { clampUnit, crop, mirrorPad, paddedSize, planarImage } from '../../../src/models/swinir';

it('pads to the next multiple of 8 strictly above the size (256 → 264, 32 → 40, 33 → 40)', () => {
  expect([256, 32, 33, 39, 1].map((n) => paddedSize(n, 8))).toEqual([264, 40, 40, 40, 8]);
});

it('mirror padding repeats the edge (cat with the flipped image), and keeps reflecting past the image', () => {
  const row = planarImage(1, 1, 5, Float32Array.of(0, 1, 2, 3, 4));
  expect(Array.from(mirrorPad(row, 1, 8).data)).toEqual([0, 1, 2, 3, 4, 4, 3, 2]);
  // Upstream's cat([img, flip(img)])[:8] has only 6 columns for width 3; this continues symmetrically.
  expect(Array.from(mirrorPad(planarImage(1, 1, 3, Float32Array.of(5, 6, 7)), 1, 8).data)).toEqual([5, 6, 7, 7, 6, 5, 5, 6]);
  const column = mirrorPad(planarImage(2, 2, 1, Float32Array.of(1, 2, 10, 20)), 4, 2);
  expect(Array.from(column.data)).toEqual([1, 1, 2, 2, 2, 2, 1, 1, 10, 10, 20, 20, 20, 20, 10, 10]);
});

it('crops every channel and refuses windows outside the image; clamps to [0, 1]', () => {
  const image = planarImage(2, 2, 3, Float32Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11));
  expect(Array.from(crop(image, 1, 1, 1, 2).data)).toEqual([4, 5, 10, 11]);
  expect(() => crop(image, 1, 2, 1, 2)).toThrow(/crop 1×2 at \(1, 2\) does not fit a 2×3 image/);
  expect(Array.from(clampUnit(planarImage(1, 1, 3, Float32Array.of(-0.5, 0.25, 1.5))).data)).toEqual([0, 0.25, 1]);
});

it('PNG bytes ↔ [0, 1] planes: /255 in, ×255 truncated out (to_pil_image), alpha dropped then opaque', () => {
  const rgba = Uint8Array.of(0, 128, 255, 7, 10, 20, 30, 40);
  const chw = rgbaToUnitChw(rgba, 1, 2);
  expect(Array.from(chw)).toEqual([0, 10, 128, 20, 255, 30].map((v) => Math.fround(v / 255)));
  expect(Array.from(unitChwToRgba(chw, 1, 2))).toEqual([0, 128, 255, 255, 10, 20, 30, 255]);
  expect(Array.from(unitChwToRgba(Float32Array.of(0.999, -1, 0.5019, 0, 2, 0), 1, 2))).toEqual([254, 127, 255, 255, 0, 0, 0, 255]);
  const all = Float32Array.from({ length: 3 * 256 }, (_, i) => (i % 256) / 255);
  expect(Array.from(unitChwToRgba(all, 1, 256).filter((_, i) => i % 4 === 0))).toEqual(Array.from({ length: 256 }, (_, k) => k));
});
