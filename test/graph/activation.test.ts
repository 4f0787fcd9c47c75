import { describe, expect, it } from 'vitest';
import { gelu, Graph, quickGelu, silu, softmax } from '../../src/graph';
import { hostTensor } from '../../src/runtime';
import { expectGradMatches, gradcheck } from '../helpers/gradcheck';
import { maxAbsDiff, runGraph, wasmRuntime } from '../helpers/ort';
import { geluRef, sigmoidRef } from '../helpers/nn-reference';
import { ramp } from '../helpers/reference';

describe('softmax', () => {
  it('gives the hand-computed values along the last axis and along axis 0', async () => {
    const g = new Graph('softmax');
    const x = g.input('x', 'float64', [2, 3]);
    g.output(softmax(x), 'last');
    g.output(softmax(x, 0), 'first');
    const out = await runGraph(g, { x: hostTensor('float64', [2, 3], Float64Array.of(0, Math.log(2), Math.log(5), 1, 1, 1)) });
    // Row 0 is ∝ [1, 2, 5]; row 1 is uniform. Column j is ∝ [e^x0j, e^1].
    expect(maxAbsDiff(out.last!.data as Float64Array, [1 / 8, 2 / 8, 5 / 8, 1 / 3, 1 / 3, 1 / 3])).toBeLessThan(1e-12);
    const col = (a: number) => [a / (a + Math.E), Math.E / (a + Math.E)];
    const [c0, c1, c2] = [col(1), col(2), col(5)];
    expect(maxAbsDiff(out.first!.data as Float64Array, [c0[0]!, c1[0]!, c2[0]!, c0[1]!, c1[1]!, c2[1]!])).toBeLessThan(1e-12);
  });

  it('has a gradient along either axis that matches finite differences (float64)', async () => {
    for (const axis of [-1, 1]) {
      const r = await gradcheck(wasmRuntime(), { inputs: [{ shape: [2, 4, 3] }], build: ([x]) => softmax(x!, axis), dtype: 'float64' }, { directions: 4, coordinates: 6 });
      expectGradMatches(r, { rtol: 1e-6, atol: 1e-9 });
    }
  });

  it('refuses an axis outside the rank', () => {
    const g = new Graph('bad');
    expect(() => softmax(g.input('x', 'float32', [2, 3]), 2)).toThrowError(/Softmax: axis 2 is out of range for rank 2/);
  });
});

describe('gelu, quickGelu, silu', () => {
  const xs = Float64Array.of(-3, -1, -0.25, 0, 0.5, 1, 2.5);

  it('gelu (erf form) gives the tabulated values 0.5·x·(1 + erf(x/√2))', async () => {
    const g = new Graph('gelu');
    g.output(gelu(g.input('x', 'float32', [xs.length])), 'y');
    const out = await runGraph(g, { x: hostTensor('float32', [xs.length], Float32Array.from(xs)) });
    // x·Φ(x) with Φ from tables: Φ(1) = 0.841344746, Φ(−1) = 0.158655254, Φ(0.5) = 0.691462461.
    const got = out.y!.data as Float32Array;
    expect(maxAbsDiff([got[1]!, got[3]!, got[4]!, got[5]!], [-0.158655254, 0, 0.5 * 0.691462461, 0.841344746])).toBeLessThan(1e-6);
    expect(maxAbsDiff(got, Array.from(xs, geluRef))).toBeLessThan(1e-6);
  });

  it('quickGelu and silu match x·sigmoid(1.702x) and x·sigmoid(x)', async () => {
    // float32: onnxruntime fuses a lone x·sigmoid(1.702x) into com.microsoft.QuickGelu, float-only on CPU.
    const g = new Graph('act');
    const x = g.input('x', 'float32', [xs.length]);
    g.output(quickGelu(x), 'q');
    g.output(silu(x), 's');
    const out = await runGraph(g, { x: hostTensor('float32', [xs.length], Float32Array.from(xs)) });
    expect(maxAbsDiff(out.q!.data as Float32Array, Array.from(xs, (v) => v * sigmoidRef(1.702 * v)))).toBeLessThan(1e-6);
    expect(maxAbsDiff(out.s!.data as Float32Array, Array.from(xs, (v) => v * sigmoidRef(v)))).toBeLessThan(1e-6);
    // silu(1) = 1/(1 + e^−1).
    expect((out.s!.data as Float32Array)[5]).toBeCloseTo(0.7310585786300049, 6);
  });

  it('quickGelu and silu gradients match finite differences (float64)', async () => {
    for (const f of [quickGelu, silu]) {
      const r = await gradcheck(wasmRuntime(), { inputs: [{ shape: [3, 5] }], build: ([x]) => f(x!), dtype: 'float64' }, { directions: 4, coordinates: 6 });
      expectGradMatches(r, { rtol: 1e-6, atol: 1e-9 });
    }
  });

  it('gelu gradient matches finite differences (float32: onnxruntime has no float64 Erf kernel)', async () => {
    const r = await gradcheck(wasmRuntime(), { inputs: [{ shape: [3, 5], data: ramp(15, 2) }], build: ([x]) => gelu(x!), dtype: 'float32' }, { directions: 4, coordinates: 6, eps: 3e-3 });
    // Central differences in float32 with eps 3e-3 balance truncation O(eps²·f‴) against rounding
    // ~1e-7/eps; the rule's error there is ~1.4e-4 relative.
    expectGradMatches(r, { rtol: 1e-3, atol: 1e-3 });
  });
});
