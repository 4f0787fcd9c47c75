import { expect, it } from 'vitest';
import { drawCutouts, isWholeImage, perspectiveCoefficients } from '../../../src/models/guidance/index';
import { createRng } from '../../../src/sampling/rng';

const geometry = { height: 256, width: 256, cutSize: 224, cutn: 30 };

it('draws cutouts as MakeCutouts does: whole images last, crops within the padded image, corners in their ranges', () => {
  const params = drawCutouts(createRng(3), geometry, false, perspectiveCoefficients);
  // ch > cutn − cutn//4: indices 24…29 for cutn 30 (spec §5).
  expect(params.flatMap((_, ch) => (isWholeImage(ch, 30) ? [ch] : []))).toEqual([24, 25, 26, 27, 28, 29]);
  params.forEach(({ crop, augment }, ch) => {
    if (isWholeImage(ch, 30)) expect(crop).toEqual({ height: 384, width: 384, offsetY: 0, offsetX: 0 });
    expect(crop.height).toBeGreaterThanOrEqual(224);
    expect(crop.offsetY + crop.height).toBeLessThanOrEqual(384);
    expect(crop.offsetX + crop.width).toBeLessThanOrEqual(384);
    expect(Math.abs(augment!.angle)).toBeLessThanOrEqual(15);
    expect(Math.abs(augment!.translate[0])).toBeLessThanOrEqual(Math.round(0.1 * crop.width));
  });
  expect(drawCutouts(createRng(3), geometry, false, perspectiveCoefficients)).toEqual(params);
  expect(drawCutouts(createRng(3), geometry, true, perspectiveCoefficients).every((p) => p.augment === undefined)).toBe(true);
});

it('perspective coefficients map the drawn end points back onto the start points', () => {
  const start = [[0, 0], [99, 0], [99, 79], [0, 79]] as const;
  const end = [[7, 3], [95, 12], [90, 70], [2, 77]] as const;
  const c = perspectiveCoefficients(start, end);
  end.forEach(([x, y], i) => {
    const d = c[6]! * x + c[7]! * y + 1;
    expect((c[0]! * x + c[1]! * y + c[2]!) / d).toBeCloseTo(start[i]![0], 3);
    expect((c[3]! * x + c[4]! * y + c[5]!) / d).toBeCloseTo(start[i]![1], 3);
  });
});
