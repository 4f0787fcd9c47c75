import { afterAll, expect, it } from 'vitest';
import { blendWeights, createSwinIRUpscaler, planarImage, planAxis, type PlanarImage, type UpscaleProgress } from '../../../src/models/swinir';
import { createRng } from '../../../src/sampling/rng';
import { describeWithFixtures } from '../../fixtures';
import { maxAbsDiff, wasmRuntime } from '../../helpers/ort';
import { loadFixtureModel } from './fixture-data';

it('plans tiles as main_test_swinir.py test() does: stride tile − overlap, the last flush with the end', () => {
  expect(planAxis(72, { tile: 64, overlap: 32 }, 8)).toEqual({ length: 72, size: 64, starts: [0, 8] });
  expect(planAxis(264, { tile: 128, overlap: 32 }, 8)).toEqual({ length: 264, size: 128, starts: [0, 96, 136] });
  expect(planAxis(40, { tile: 128, overlap: 32 }, 8)).toEqual({ length: 40, size: 40, starts: [0] });
  expect(() => planAxis(72, { tile: 60, overlap: 32 }, 8)).toThrow(/tile 60 and overlap 32 must be multiples of the window size 8/);
  expect(() => planAxis(72, { tile: 32, overlap: 32 }, 8)).toThrow(/0 ≤ overlap < tile/);
});

it('blend weights: 1 along the image edges, complementary ramps where two tiles overlap by `overlap`', () => {
  const plan = planAxis(96, { tile: 64, overlap: 32 }, 8);
  expect(plan.starts).toEqual([0, 32]);
  const [a, b] = plan.starts.map((s) => blendWeights(plan, s, 32, 4)) as [Float32Array, Float32Array];
  expect(a.subarray(0, 128).every((v) => v === 1) && b.subarray(128).every((v) => v === 1)).toBe(true);
  // Tile b starts 32 input pixels (128 output pixels) after tile a.
  const sums = Array.from({ length: 128 }, (_, u) => a[128 + u]! + b[u]!);
  expect(Math.max(...sums.map((s) => Math.abs(s - 1)))).toBeLessThan(1e-6);
  // No weight within overlap·3/8 = 12 input pixels of the inner edges.
  expect(a.subarray(256 - 48).every((v) => v === 0) && b.subarray(0, 48).every((v) => v === 0)).toBe(true);
});

/** A smooth pattern with noise: content that crosses tile seams. */
function testImage(height: number, width: number): PlanarImage {
  const rng = createRng(7);
  const image = planarImage(3, height, width);
  image.data.forEach((_, i) => {
    const [c, y, x] = [Math.floor(i / (height * width)), Math.floor(i / width) % height, i % width];
    image.data[i] = 0.5 + 0.3 * Math.sin(x / 7 + c) * Math.cos(y / 5) + 0.1 * rng.normal();
  });
  return image;
}

describeWithFixtures('SwinIR tiled path (fixture model M)', () => {
  const upscaler = loadFixtureModel('M').then((model) => createSwinIRUpscaler(wasmRuntime(), model));
  const image = testImage(72, 88);
  const whole = upscaler.then((u) => u.predict(image));
  afterAll(async () => (await upscaler).dispose());

  it('64×64 tiles with overlap 32 equal the whole image within 1e-3, with progress per tile', async () => {
    const events: UpscaleProgress[] = [];
    const tiled = await (await upscaler).predict(image, { tiling: { tile: 64, overlap: 32 }, onProgress: (p) => events.push(p) });
    expect(events.map(({ tile, tiles }) => ({ tile, tiles }))).toEqual([1, 2, 3, 4].map((tile) => ({ tile, tiles: 4 })));
    // Each tile names the part of the input it covers, inside the image (not its padding); together they cover it all.
    const covered = new Uint8Array(image.height * image.width);
    for (const { region: r } of events) {
      expect(r.top >= 0 && r.left >= 0 && r.top + r.height <= image.height && r.left + r.width <= image.width, JSON.stringify(r)).toBe(true);
      for (let y = r.top; y < r.top + r.height; y++) covered.fill(1, y * image.width + r.left, y * image.width + r.left + r.width);
    }
    expect(covered.every((c) => c === 1)).toBe(true);
    expect(new Set(events.map((e) => JSON.stringify(e.region))).size).toBe(4);
    expect(maxAbsDiff(tiled.data, (await whole).data)).toBeLessThan(1e-3);
  });

  it('a small overlap leaves visible seams (the comparison above is not vacuous)', async () => {
    const tiled = await (await upscaler).predict(image, { tiling: { tile: 64, overlap: 8 } });
    expect(maxAbsDiff(tiled.data, (await whole).data)).toBeGreaterThan(0.05);
  });

  it('cancels between tiles with an AbortError', async () => {
    const signal = { aborted: false };
    const seen: number[] = [];
    const run = (await upscaler).predict(image, { tiling: { tile: 64, overlap: 32 }, signal, onProgress: ({ tile }) => (seen.push(tile), (signal.aborted = tile === 2)) });
    await expect(run).rejects.toMatchObject({ name: 'AbortError', message: 'upscaling cancelled' });
    expect(seen).toEqual([1, 2]);
  });
});
