import { describe, expect, it } from 'vitest';
import { add, conv2d, div, Graph, matmul, mul, relu, reshape, sigmoid, sub, tanh, transpose } from '../../src/graph';
import { hostTensor } from '../../src/runtime';
import { maxAbsDiff, runGraph } from '../helpers/ort';
import { conv2dRef, matmulRef, ramp } from '../helpers/reference';

describe('elementwise ops', () => {
  it('broadcast add, sub, mul, div give the hand-computed values', async () => {
    const g = new Graph('elementwise');
    const a = g.input('a', 'float32', [2, 3]);
    const b = g.constant('float32', [3], new Float32Array([1, 2, 4]));
    g.output(add(a, b), 'sum');
    g.output(sub(a, b), 'diff');
    g.output(mul(a, b), 'prod');
    g.output(div(a, b), 'quot');
    const out = await runGraph(g, { a: hostTensor('float32', [2, 3], new Float32Array([1, 2, 3, 4, 5, 6])) });
    expect([...out.sum!.data]).toEqual([2, 4, 7, 5, 7, 10]);
    expect([...out.diff!.data]).toEqual([0, 0, -1, 3, 3, 2]);
    expect([...out.prod!.data]).toEqual([1, 4, 12, 4, 10, 24]);
    expect([...out.quot!.data]).toEqual([1, 1, 0.75, 4, 2.5, 1.5]);
    expect(out.sum!.shape).toEqual([2, 3]);
  });

  it('tanh, sigmoid and relu match their definitions', async () => {
    const g = new Graph('unary');
    const x = g.input('x', 'float32', [5]);
    g.output(tanh(x), 't');
    g.output(sigmoid(x), 's');
    g.output(relu(x), 'r');
    const xs = [-2, -0.5, 0, 0.5, 3];
    const out = await runGraph(g, { x: hostTensor('float32', [5], new Float32Array(xs)) });
    expect(maxAbsDiff(out.t!.data as Float32Array, xs.map(Math.tanh))).toBeLessThan(1e-6);
    expect(maxAbsDiff(out.s!.data as Float32Array, xs.map((v) => 1 / (1 + Math.exp(-v))))).toBeLessThan(1e-6);
    expect([...out.r!.data]).toEqual([0, 0, 0, 0.5, 3]);
  });

  it('refuses shapes that do not broadcast, naming the op and both shapes', () => {
    const g = new Graph('bad');
    const a = g.input('a', 'float32', [2, 3]);
    const b = g.input('b', 'float32', [4]);
    expect(() => add(a, b)).toThrowError(/Add: shapes \[2, 3\] and \[4\] do not broadcast/);
  });
});

describe('conv2d', () => {
  const cases = [
    { name: '3×3, padding 1', xShape: [2, 3, 6, 5], wShape: [4, 3, 3, 3], stride: 1, padding: 1, groups: 1, bias: true },
    { name: 'stride 2, no padding, no bias', xShape: [1, 2, 7, 7], wShape: [3, 2, 3, 3], stride: 2, padding: 0, groups: 1, bias: false },
    { name: 'grouped 1×1', xShape: [1, 4, 3, 3], wShape: [6, 2, 1, 1], stride: 1, padding: 0, groups: 2, bias: true },
  ] as const;
  for (const c of cases) {
    it(`matches a loop reference: ${c.name}`, async () => {
      const g = new Graph('conv');
      const size = (s: readonly number[]) => s.reduce((p, q) => p * q, 1);
      const x = ramp(size(c.xShape));
      const w = ramp(size(c.wShape), 0.5, 1);
      const b = c.bias ? ramp(c.wShape[0], 0.3, 2) : undefined;
      const xt = g.input('x', 'float32', c.xShape);
      const wt = g.constant('float32', c.wShape, w);
      const bt = b && g.constant('float32', [c.wShape[0]], b);
      g.output(conv2d(xt, wt, bt, { stride: c.stride, padding: c.padding, groups: c.groups }), 'y');
      const out = await runGraph(g, { x: hostTensor('float32', c.xShape, x) });
      const ref = conv2dRef({ x, xShape: [...c.xShape], w, wShape: [...c.wShape], ...(b ? { b } : {}), stride: c.stride, padding: c.padding, groups: c.groups });
      expect(maxAbsDiff(out.y!.data as Float32Array, ref)).toBeLessThan(1e-5);
    });
  }

  it('rejects channels that do not fit the weight', () => {
    const g = new Graph('bad');
    const x = g.input('x', 'float32', [1, 3, 8, 8]);
    const w = g.input('w', 'float32', [4, 2, 3, 3]);
    expect(() => conv2d(x, w, undefined)).toThrowError(/Conv: channels do not fit groups=1: x \[1, 3, 8, 8\], weight \[4, 2, 3, 3\]/);
  });
});

describe('matmul and shape ops', () => {
  it('matmul with broadcast batch matches a loop reference', async () => {
    const g = new Graph('mm');
    const a = ramp(2 * 3 * 4);
    const b = ramp(4 * 5, 1, 0.3);
    g.output(matmul(g.input('a', 'float32', [2, 3, 4]), g.constant('float32', [4, 5], b)), 'y');
    const out = await runGraph(g, { a: hostTensor('float32', [2, 3, 4], a) });
    expect(out.y!.shape).toEqual([2, 3, 5]);
    expect(maxAbsDiff(out.y!.data as Float32Array, matmulRef(a, b, 6, 4, 5))).toBeLessThan(1e-5);
    expect(() => matmul(g.input('p', 'float32', [2, 3]), g.input('q', 'float32', [4, 2]))).toThrowError(/MatMul: inner dimensions of \[2, 3\] and \[4, 2\]/);
  });

  it('reshape and transpose move values as numpy does', async () => {
    const g = new Graph('shape');
    const x = g.input('x', 'float32', [2, 3]);
    g.output(transpose(reshape(x, [3, 2]), [1, 0]), 'y');
    const out = await runGraph(g, { x: hostTensor('float32', [2, 3], new Float32Array([0, 1, 2, 3, 4, 5])) });
    expect(out.y!.shape).toEqual([2, 3]);
    expect([...out.y!.data]).toEqual([0, 2, 4, 1, 3, 5]);
    expect(() => reshape(x, [4, 2])).toThrowError(/Reshape: cannot reshape \[2, 3\] to \[4, 2\]/);
    expect(() => transpose(x, [0, 0])).toThrowError(/Transpose: perm \[0, 0\]/);
  });
});
