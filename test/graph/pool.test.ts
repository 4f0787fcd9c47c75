import { describe, expect, it } from 'vitest';
import { adaptiveAvgPool2d, adaptivePoolMatrix, avgPool2d, grad, Graph, maxPool2d, separableResample, upsampleNearest } from '../../src/graph';
import { hostTensor } from '../../src/runtime';
import { expectGradMatches, gradcheck } from '../helpers/gradcheck';
import { maxAbsDiff, runGraph, wasmRuntime } from '../helpers/ort';
import { adaptiveAvgPoolRef, avgPoolRef, maxPoolRef } from '../helpers/nn-reference';
import { ramp } from '../helpers/reference';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

describe('avgPool2d', () => {
  const cases = [
    { name: '2×2 stride 2 (guided-diffusion Downsample without conv)', shape: [2, 3, 6, 4], k: 2, s: 2, p: 0 },
    { name: '3×3 stride 2 padding 1, odd sizes, overlapping', shape: [1, 2, 7, 5], k: 3, s: 2, p: 1 },
    { name: '3×3 stride 1 padding 1', shape: [1, 1, 4, 4], k: 3, s: 1, p: 1 },
    { name: '2×2 stride 2 that drops a row and a column', shape: [1, 2, 5, 3], k: 2, s: 2, p: 0 },
  ] as const;

  it('gives the hand-computed 2×2 means', async () => {
    const g = new Graph('pool');
    g.output(avgPool2d(g.input('x', 'float32', [1, 1, 2, 4]), 2), 'y');
    const out = await runGraph(g, { x: hostTensor('float32', [1, 1, 2, 4], Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8)) });
    expect(out.y!.shape).toEqual([1, 1, 1, 2]);
    expect([...out.y!.data]).toEqual([3.5, 5.5]);
  });

  for (const c of cases) {
    it(`matches torch's avg_pool2d (count_include_pad) computed by loops: ${c.name}`, async () => {
      const g = new Graph('pool');
      const x = ramp(size(c.shape), 1, 0.2);
      g.output(avgPool2d(g.input('x', 'float32', c.shape), c.k, c.s, c.p), 'y');
      const out = await runGraph(g, { x: hostTensor('float32', c.shape, x) });
      const [n, ch, h, w] = c.shape;
      expect(maxAbsDiff(out.y!.data as Float32Array, avgPoolRef(x, n * ch, h, w, c.k, c.s, c.p))).toBeLessThan(1e-6);
    });

    it(`gradient matches finite differences (float32, no float64 AveragePool/ConvTranspose kernel): ${c.name}`, async () => {
      const r = await gradcheck(wasmRuntime(), { inputs: [{ shape: c.shape }], build: ([x]) => avgPool2d(x!, c.k, c.s, c.p), dtype: 'float32' }, { directions: 4, coordinates: 8, eps: 1e-2 });
      // The op is linear, so central differences are exact but for float32 rounding.
      expectGradMatches(r, { rtol: 1e-3, atol: 1e-3 });
    });
  }

  it('rejects padding beyond half the kernel and kernels larger than the input', () => {
    const g = new Graph('bad');
    const x = g.input('x', 'float32', [1, 1, 4, 4]);
    expect(() => avgPool2d(x, 2, 2, 2)).toThrowError(/AveragePool: kernel 2, stride 2, padding 2 do not fit \[1, 1, 4, 4\]/);
    expect(() => avgPool2d(x, 5)).toThrowError(/AveragePool: kernel 5/);
    expect(() => avgPool2d(g.input('v', 'float32', [4, 4]), 2)).toThrowError(/AveragePool: needs \[N, C, H, W\], got \[4, 4\]/);
  });
});

describe('maxPool2d', () => {
  /** Distinct values in a scrambled order, at least 0.05 apart: no ties, so finite differences see one maximum per window. */
  const scrambled = (n: number) => Float32Array.from({ length: n }, (_, i) => ((i * 37) % n) * 0.05 - 1);

  for (const shape of [[2, 3, 6, 4], [1, 2, 7, 5]] as const) {
    it(`matches a loop over windows, odd trailing rows and columns dropped: [${shape.join(', ')}]`, async () => {
      const g = new Graph('maxpool');
      g.output(maxPool2d(g.input('x', 'float32', shape), 2), 'y');
      const x = scrambled(size(shape));
      const out = await runGraph(g, { x: hostTensor('float32', shape, x) });
      expect(out.y!.shape).toEqual([shape[0], shape[1], Math.floor(shape[2] / 2), Math.floor(shape[3] / 2)]);
      expect([...out.y!.data]).toEqual([...maxPoolRef(x, shape[0] * shape[1], shape[2], shape[3], 2).values]);
    });

    it(`gradient matches finite differences: [${shape.join(', ')}]`, async () => {
      const r = await gradcheck(wasmRuntime(), { inputs: [{ shape, data: scrambled(size(shape)) }], build: ([x]) => maxPool2d(x!, 2), dtype: 'float32' }, { directions: 4, coordinates: 12, eps: 1e-3 });
      expectGradMatches(r, { rtol: 1e-3, atol: 1e-3 });
      expect(r.opsOffWebGpu).toEqual([]);
    });
  }

  it("routes each window's cotangent to its first maximum only (torch's ties), and a NaN cotangent stays in its window", async () => {
    const g = new Graph('maxpool-ties');
    const x = g.input('x', 'float32', [1, 1, 3, 4]);
    const dy = g.input('dy', 'float32', [1, 1, 1, 2]);
    const [dx] = grad([maxPool2d(x, 2)], [x], [dy]);
    g.output(dx!, 'dx');
    // Window 0 is all zeros (ReLU output); window 1 has its maximum 2 twice, at scan positions 1 and 2. Row 2 is dropped.
    const values = Float32Array.of(0, 0, 1, 2, 0, 0, 2, -1, 9, 9, 9, 9);
    const out = await runGraph(g, { x: hostTensor('float32', [1, 1, 3, 4], values), dy: hostTensor('float32', [1, 1, 1, 2], Float32Array.of(Number.NaN, 5)) });
    expect([...out.dx!.data]).toEqual([Number.NaN, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('refuses a kernel larger than the input', () => {
    const g = new Graph('bad');
    expect(() => maxPool2d(g.input('x', 'float32', [1, 1, 1, 4]), 2)).toThrowError(/MaxPool: kernel 2 does not fit \[1, 1, 1, 4\]/);
  });
});

describe('upsampleNearest', () => {
  it('repeats each pixel into an f×f block (hand-computed, factor 2)', async () => {
    const g = new Graph('up');
    g.output(upsampleNearest(g.input('x', 'float32', [1, 1, 2, 2]), 2), 'y');
    const out = await runGraph(g, { x: hostTensor('float32', [1, 1, 2, 2], Float32Array.of(1, 2, 3, 4)) });
    expect(out.y!.shape).toEqual([1, 1, 4, 4]);
    expect([...out.y!.data]).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });

  it('factor 3 on a non-square input reads input floor(i/3)', async () => {
    const g = new Graph('up3');
    const shape = [1, 2, 2, 3];
    const x = ramp(size(shape));
    g.output(upsampleNearest(g.input('x', 'float32', shape), 3), 'y');
    const out = await runGraph(g, { x: hostTensor('float32', shape, x) });
    const expected = Array.from({ length: 2 * 6 * 9 }, (_, i) => {
      const [c, y, xi] = [Math.floor(i / 54), Math.floor(i / 9) % 6, i % 9];
      return x[(c * 2 + Math.floor(y / 3)) * 3 + Math.floor(xi / 3)]!;
    });
    expect([...out.y!.data]).toEqual(expected);
  });

  it('gradient sums each block and matches finite differences (float32, no float64 Resize kernel)', async () => {
    for (const f of [2, 3]) {
      const r = await gradcheck(wasmRuntime(), { inputs: [{ shape: [2, 2, 3, 2] }], build: ([x]) => upsampleNearest(x!, f), dtype: 'float32' }, { directions: 4, coordinates: 8, eps: 1e-2 });
      expectGradMatches(r, { rtol: 1e-3, atol: 1e-3 });
    }
  });

  it('rejects non-integer factors', () => {
    const g = new Graph('bad');
    expect(() => upsampleNearest(g.input('x', 'float32', [1, 1, 2, 2]), 1.5)).toThrowError(/Resize: factor 1.5 is not a positive integer \(input \[1, 1, 2, 2\]\)/);
  });
});

describe('adaptiveAvgPool2d', () => {
  it('builds torch\'s windows floor(i·in/out) … ceil((i+1)·in/out): 5 → 3', () => {
    const third = 1 / 3;
    expect([...adaptivePoolMatrix(5, 3)]).toEqual([0.5, 0.5, 0, 0, 0, 0, third, third, third, 0, 0, 0, 0, 0.5, 0.5]);
    expect([...adaptivePoolMatrix(2, 4)]).toEqual([1, 0, 1, 0, 0, 1, 0, 1]);
    expect(() => adaptivePoolMatrix(0, 3)).toThrowError(/adaptivePoolMatrix: sizes 0 → 3/);
  });

  for (const [h, w, oh, ow] of [[7, 5, 3, 2], [4, 6, 4, 6], [3, 3, 5, 7]] as const) {
    it(`matches a loop reference: ${h}×${w} → ${oh}×${ow}`, async () => {
      const g = new Graph('adaptive');
      const shape = [2, 2, h, w];
      const x = Float64Array.from(ramp(size(shape), 1, 0.5));
      g.output(adaptiveAvgPool2d(g.input('x', 'float64', shape), oh, ow), 'y');
      const out = await runGraph(g, { x: hostTensor('float64', shape, x) });
      expect(out.y!.shape).toEqual([2, 2, oh, ow]);
      expect(maxAbsDiff(out.y!.data as Float64Array, adaptiveAvgPoolRef(x, 4, h, w, oh, ow))).toBeLessThan(1e-12);
    });
  }

  it('gradient (MatMul\'s rule) matches finite differences (float64)', async () => {
    const r = await gradcheck(wasmRuntime(), { inputs: [{ shape: [2, 3, 7, 5] }], build: ([x]) => adaptiveAvgPool2d(x!, 3, 2), dtype: 'float64' }, { directions: 4, coordinates: 8 });
    expectGradMatches(r, { rtol: 1e-6, atol: 1e-9 });
  });

  it('separableResample takes its matrices as graph inputs, with gradients for all three (float64)', async () => {
    const inputs = [{ shape: [1, 2, 4, 5] }, { shape: [3, 4] }, { shape: [2, 5] }];
    const r = await gradcheck(wasmRuntime(), { inputs, build: ([x, rows, cols]) => separableResample(x!, rows!, cols!), dtype: 'float64' }, { directions: 4, coordinates: 6 });
    expectGradMatches(r, { rtol: 1e-6, atol: 1e-9 });
  });
});
