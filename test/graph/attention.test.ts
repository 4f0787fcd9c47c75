import { describe, expect, it } from 'vitest';
import { attention, causalMask, Graph, mergeHeads, splitHeads } from '../../src/graph';
import { hostTensor } from '../../src/runtime';
import { expectGradMatches, gradcheck } from '../helpers/gradcheck';
import { maxAbsDiff, runGraph, wasmRuntime } from '../helpers/ort';
import { attentionRef } from '../helpers/nn-reference';
import { ramp } from '../helpers/reference';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const f64 = (n: number, scale: number, phase: number) => Float64Array.from(ramp(n, scale, phase));

describe('attention', () => {
  const [b, h, tq, tk, d, dv] = [2, 3, 4, 5, 6, 2];
  const q = f64(b * h * tq * d, 1, 0);
  const k = f64(b * h * tk * d, 1, 1);
  const v = f64(b * h * tk * dv, 1, 2);
  const mask = f64(tq * tk, 2, 3);

  it('matches softmax(q·kᵀ/√d + mask)·v computed by loops, with and without a mask', async () => {
    const g = new Graph('attn');
    const [qt, kt, vt] = [g.input('q', 'float64', [b, h, tq, d]), g.input('k', 'float64', [b, h, tk, d]), g.input('v', 'float64', [b, h, tk, dv])];
    g.output(attention(qt, kt, vt), 'plain');
    g.output(attention(qt, kt, vt, { mask: g.constant('float64', [tq, tk], mask), scale: 0.3 }), 'masked');
    const out = await runGraph(g, { q: hostTensor('float64', [b, h, tq, d], q), k: hostTensor('float64', [b, h, tk, d], k), v: hostTensor('float64', [b, h, tk, dv], v) });
    const dims = { batch: b * h, tq, tk, d, dv };
    expect(out.plain!.shape).toEqual([b, h, tq, dv]);
    expect(maxAbsDiff(out.plain!.data as Float64Array, attentionRef(q, k, v, dims, 1 / Math.sqrt(d)))).toBeLessThan(1e-12);
    expect(maxAbsDiff(out.masked!.data as Float64Array, attentionRef(q, k, v, dims, 0.3, mask))).toBeLessThan(1e-12);
  });

  it('with a causal mask, token 0 sees only itself: its output is v[0]', async () => {
    const g = new Graph('causal');
    const x = g.input('x', 'float64', [3, 2]);
    const y = attention(x, x, x, { mask: causalMask(x, 3) });
    g.output(y, 'y');
    const data = Float64Array.of(1, 2, 3, 4, 5, 6);
    const out = await runGraph(g, { x: hostTensor('float64', [3, 2], data) });
    const causal = Array.from({ length: 9 }, (_, i) => (i % 3 > Math.floor(i / 3) ? -Infinity : 0));
    expect(maxAbsDiff(out.y!.data as Float64Array, attentionRef(data, data, data, { batch: 1, tq: 3, tk: 3, d: 2, dv: 2 }, 1 / Math.SQRT2, causal))).toBeLessThan(1e-10);
    expect([...(out.y!.data as Float64Array).slice(0, 2)]).toEqual([1, 2]);
  });

  it('gradients for q, k, v and an additive bias match finite differences (float64)', async () => {
    const inputs = [{ shape: [b, h, tq, d] }, { shape: [b, h, tk, d] }, { shape: [b, h, tk, dv] }, { shape: [h, tq, tk] }];
    const r = await gradcheck(wasmRuntime(), { inputs, build: ([qt, kt, vt, bias]) => attention(qt!, kt!, vt!, { mask: bias! }), dtype: 'float64' }, { directions: 4, coordinates: 8 });
    expectGradMatches(r, { rtol: 1e-6, atol: 1e-9 });
  });

  it('gradient through a causal mask matches finite differences (float64)', async () => {
    const r = await gradcheck(wasmRuntime(), { inputs: [{ shape: [2, 5, 4] }], build: ([x]) => attention(x!, x!, x!, { mask: causalMask(x!, 5) }), dtype: 'float64' }, { directions: 4, coordinates: 6 });
    expectGradMatches(r, { rtol: 1e-6, atol: 1e-9 });
  });

  it('rejects q and k of different widths, naming all three shapes', () => {
    const g = new Graph('bad');
    const [qt, kt] = [g.input('q', 'float32', [2, 4, 8]), g.input('k', 'float32', [2, 5, 6])];
    expect(() => attention(qt, kt, kt)).toThrowError(/Attention: q \[2, 4, 8\], k \[2, 5, 6\], v \[2, 5, 6\] do not fit/);
    expect(() => attention(qt, qt, g.input('v', 'float32', [2, 3, 8]))).toThrowError(/Attention: .* do not fit/);
  });
});

describe('splitHeads and mergeHeads', () => {
  it('split [B, T, H·d] into [B, H, T, d] as torch view(B, T, H, d).transpose(1, 2) does, and merge back', async () => {
    const g = new Graph('heads');
    const shape = [2, 3, 4];
    const x = g.input('x', 'float32', shape);
    const split = splitHeads(x, 2);
    expect(split.shape).toEqual([2, 2, 3, 2]);
    g.output(split, 'split');
    g.output(mergeHeads(split), 'merged');
    const data = Float32Array.from({ length: size(shape) }, (_, i) => i);
    const out = await runGraph(g, { x: hostTensor('float32', shape, data) });
    // split[b, h, t, j] = x[b, t, h·2 + j].
    const expected = Array.from({ length: 24 }, (_, i) => {
      const [bi, hi, t, j] = [Math.floor(i / 12), Math.floor(i / 6) % 2, Math.floor(i / 2) % 3, i % 2];
      return bi * 12 + t * 4 + hi * 2 + j;
    });
    expect([...out.split!.data]).toEqual(expected);
    expect([...out.merged!.data]).toEqual([...data]);
    expect(() => splitHeads(x, 3)).toThrowError(/splitHeads: 3 heads do not divide the last axis of \[2, 3, 4\]/);
    expect(() => mergeHeads(g.input('m', 'float32', [3, 4]))).toThrowError(/mergeHeads: needs \[..., H, T, d\], got \[3, 4\]/);
  });

  it('work without a batch axis', () => {
    const g = new Graph('nobatch');
    expect(splitHeads(g.input('x', 'float32', [5, 6]), 3).shape).toEqual([3, 5, 2]);
  });
});
