import { describe, expect, it } from 'vitest';
import { Graph, groupNorm, layerNorm, normalizeLast } from '../../src/graph';
import { hostTensor } from '../../src/runtime';
import { expectGradMatches, gradcheck } from '../helpers/gradcheck';
import { maxAbsDiff, runGraph, wasmRuntime } from '../helpers/ort';
import { groupNormRef, layerNormRef } from '../helpers/nn-reference';
import { ramp } from '../helpers/reference';

/** float32 → IEEE half bits (round to nearest even), for feeding float16 inputs; normal range only. */
function toHalfBits(v: number): number {
  const f = new Float32Array([v]);
  const bits = new Uint32Array(f.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  if (v === 0) return sign;
  const mantissa = bits & 0x7fffff;
  const rounded = (mantissa >>> 13) + ((mantissa & 0x1fff) > 0x1000 || ((mantissa & 0x1fff) === 0x1000 && (mantissa >>> 13) & 1) ? 1 : 0);
  return sign | ((exponent << 10) + rounded);
}

function fromHalfBits(h: number): number {
  const exponent = (h >>> 10) & 0x1f;
  const value = exponent === 0 ? (h & 0x3ff) * 2 ** -24 : (1 + (h & 0x3ff) / 1024) * 2 ** (exponent - 15);
  return h & 0x8000 ? -value : value;
}

describe('normalizeLast (ONNX LayerNormalization)', () => {
  it('gives the hand-computed values for [1, 2, 3, 4]', async () => {
    const g = new Graph('norm');
    g.output(normalizeLast(g.input('x', 'float64', [1, 4]), 0), 'y');
    const out = await runGraph(g, { x: hostTensor('float64', [1, 4], Float64Array.of(1, 2, 3, 4)) });
    // mean 2.5, biased variance 1.25: (x − 2.5)/√1.25.
    const s = Math.sqrt(1.25);
    expect(maxAbsDiff(out.y!.data as Float64Array, [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s])).toBeLessThan(1e-12);
  });

  it('refuses integer inputs and rank 0', () => {
    const g = new Graph('bad');
    expect(() => normalizeLast(g.input('i', 'int64', [3]), 1e-5)).toThrowError(/LayerNormalization: needs float32 or float64, got int64/);
    expect(() => normalizeLast(g.input('s', 'float32', []), 1e-5)).toThrowError(/LayerNormalization: needs rank ≥ 1, got \[\]/);
  });
});

describe('layerNorm', () => {
  const [rows, d] = [6, 5];
  const x = ramp(rows * d, 2, 0.1);
  const weight = ramp(d, 1, 1.3);
  const bias = ramp(d, 0.5, 2.1);

  it('matches torch.nn.LayerNorm computed by loops (float32 and float64)', async () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const g = new Graph('ln');
      const arr = (v: Float32Array) => (dtype === 'float64' ? Float64Array.from(v) : v);
      const y = layerNorm(g.input('x', dtype, [2, 3, d]), g.constant(dtype, [d], arr(weight)), g.constant(dtype, [d], arr(bias)));
      g.output(y, 'y');
      const out = await runGraph(g, { x: hostTensor(dtype, [2, 3, d], arr(x)) });
      expect(out.y!.shape).toEqual([2, 3, d]);
      expect(maxAbsDiff(out.y!.data as Float64Array, layerNormRef(x, d, 1e-5, weight, bias))).toBeLessThan(dtype === 'float64' ? 1e-12 : 2e-6);
    }
  });

  it('computes float16 inputs in float32 and casts back, as CLIP LayerNorm does', async () => {
    const g = new Graph('ln16');
    const y = layerNorm(g.input('x', 'float16', [rows, d]), g.constant('float32', [d], weight), g.constant('float32', [d], bias));
    expect(y.dtype).toBe('float16');
    expect(g.nodes.find((n) => n.opType === 'LayerNormalization')).toBeDefined();
    g.output(y, 'y');
    const half = Uint16Array.from(x, toHalfBits);
    const out = await runGraph(g, { x: hostTensor('float16', [rows, d], half) });
    const got = Array.from(out.y!.data as Uint16Array, fromHalfBits);
    expect(maxAbsDiff(got, layerNormRef(Array.from(half, fromHalfBits), d, 1e-5, weight, bias))).toBeLessThan(4e-3);
  });

  it('has gradients for x, weight and bias that match finite differences (float64)', async () => {
    const r = await gradcheck(wasmRuntime(), { inputs: [{ shape: [2, 3, d] }, { shape: [d] }, { shape: [d] }], build: ([xs, w, b]) => layerNorm(xs!, w!, b!), dtype: 'float64' }, { directions: 4, coordinates: 6 });
    expectGradMatches(r, { rtol: 1e-6, atol: 1e-9 });
  });

  it('gradient of the bare normalisation matches finite differences with a large eps (float64)', async () => {
    // eps 0.1 makes r = 1/√(var + eps) depend visibly on eps: a rule that ignored it would fail.
    const r = await gradcheck(wasmRuntime(), { inputs: [{ shape: [4, 3], data: ramp(12, 0.3) }], build: ([xs]) => normalizeLast(xs!, 0.1), dtype: 'float64' }, { directions: 4, coordinates: 6 });
    expectGradMatches(r, { rtol: 1e-6, atol: 1e-9 });
  });

  it('rejects parameters that do not fit the last axis', () => {
    const g = new Graph('bad');
    const xs = g.input('x', 'float32', [2, 4]);
    expect(() => layerNorm(xs, g.input('w', 'float32', [3]), g.input('b', 'float32', [4]))).toThrowError(/LayerNorm: parameter \[3\] does not fit 4 channels of input \[2, 4\]/);
  });
});

describe('groupNorm', () => {
  const shape = [2, 6, 3, 4] as const;
  const [n, c, s] = [2, 6, 12];
  const x = ramp(n * c * s, 1.5, 0.4);
  const weight = ramp(c, 1, 0.9);
  const bias = ramp(c, 0.3, 1.7);

  it('matches torch.nn.GroupNorm(3, 6) computed by loops', async () => {
    const g = new Graph('gn');
    g.output(groupNorm(g.input('x', 'float32', shape), 3, g.constant('float32', [c], weight), g.constant('float32', [c], bias)), 'y');
    const out = await runGraph(g, { x: hostTensor('float32', shape, x) });
    expect(out.y!.shape).toEqual([...shape]);
    expect(maxAbsDiff(out.y!.data as Float32Array, groupNormRef(x, n, c, s, 3, 1e-5, weight, bias))).toBeLessThan(2e-6);
  });

  it('has gradients for x, weight and bias that match finite differences (float64)', async () => {
    const r = await gradcheck(wasmRuntime(), { inputs: [{ shape }, { shape: [c] }, { shape: [c] }], build: ([xs, w, b]) => groupNorm(xs!, 2, w!, b!), dtype: 'float64' }, { directions: 4, coordinates: 6 });
    expectGradMatches(r, { rtol: 1e-6, atol: 1e-9 });
  });

  it('works on [N, C] and [N, C, L] inputs too', async () => {
    const g = new Graph('gn3');
    const y = groupNorm(g.input('x', 'float64', [2, 4, 3]), 4, g.constant('float64', [4], new Float64Array(4).fill(1)), g.constant('float64', [4], new Float64Array(4)));
    g.output(y, 'y');
    const data = Float64Array.from(ramp(24));
    const out = await runGraph(g, { x: hostTensor('float64', [2, 4, 3], data) });
    // One group per channel: each run of 3 values is normalised on its own (instance norm).
    expect(maxAbsDiff(out.y!.data as Float64Array, layerNormRef(data, 3, 1e-5))).toBeLessThan(1e-10);
    expect(() => groupNorm(g.input('v', 'float32', [2, 6]), 4, g.input('w', 'float32', [6]), g.input('b', 'float32', [6]))).toThrowError(/GroupNorm: 4 groups do not divide the channels of \[2, 6\]/);
  });

  it('rejects a per-channel weight of the wrong length', () => {
    const g = new Graph('bad');
    expect(() => groupNorm(g.input('x', 'float32', [1, 4, 2, 2]), 2, g.input('w', 'float32', [2]), g.input('b', 'float32', [4]))).toThrowError(/GroupNorm: parameter \[2\] does not fit 4 channels/);
  });
});
