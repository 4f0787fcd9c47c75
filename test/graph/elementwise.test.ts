import { describe, expect, it } from 'vitest';
import * as g from '../../src/graph';
import { hostTensor } from '../../src/runtime';
import { expectGradMatches, gradcheck } from '../helpers/gradcheck';
import { runGraph, wasmRuntime } from '../helpers/ort';

/** Inputs chosen away from the kinks (0 for abs/relu/sign, ±1 for asin, the clamp bounds). */
const X = [-0.83, -0.41, 0.27, 0.62, 0.91];

// float32 where ORT's CPU EP has no double kernel (Erf, Asin) or the op's attribute is a float (LeakyRelu's alpha).
type Case = { name: string; op: (x: g.Tensor) => g.Tensor; ref: (v: number) => number; dtype?: 'float32' };
const erfRef = (v: number) => {
  // Abramowitz–Stegun 7.1.26 is too coarse; integrate exp(-t²) by Simpson's rule instead.
  const n = 2000;
  let s = 0;
  for (let i = 0; i <= n; i++) s += (i === 0 || i === n ? 1 : i % 2 ? 4 : 2) * Math.exp(-(((v * i) / n) ** 2));
  return ((2 / Math.sqrt(Math.PI)) * (v / n) * s) / 3;
};

const CASES: Case[] = [
  { name: 'exp', op: g.exp, ref: Math.exp },
  { name: 'log', op: (x) => g.log(g.add(x, g.scalar(x, 2))), ref: (v) => Math.log(v + 2) },
  { name: 'sqrt', op: (x) => g.sqrt(g.add(x, g.scalar(x, 1))), ref: (v) => Math.sqrt(v + 1) },
  { name: 'reciprocal', op: (x) => g.reciprocal(g.add(x, g.scalar(x, 2))), ref: (v) => 1 / (v + 2) },
  { name: 'neg', op: g.neg, ref: (v) => -v },
  { name: 'abs', op: g.abs, ref: Math.abs },
  { name: 'sign', op: (x) => g.mul(g.sign(x), x), ref: (v) => Math.sign(v) * v },
  { name: 'sin', op: g.sin, ref: Math.sin },
  { name: 'cos', op: g.cos, ref: Math.cos },
  { name: 'asin', op: g.asin, ref: Math.asin, dtype: 'float32' },
  { name: 'tanh', op: g.tanh, ref: Math.tanh },
  { name: 'sigmoid', op: g.sigmoid, ref: (v) => 1 / (1 + Math.exp(-v)) },
  { name: 'relu', op: g.relu, ref: (v) => Math.max(v, 0) },
  { name: 'leakyRelu', op: (x) => g.leakyRelu(x, 0.2), ref: (v) => (v > 0 ? v : 0.2 * v), dtype: 'float32' },
  { name: 'erf', op: g.erf, ref: erfRef, dtype: 'float32' },
  { name: 'pow', op: (x) => g.pow(g.add(x, g.scalar(x, 1)), g.scalar(x, 2.5)), ref: (v) => (v + 1) ** 2.5 },
  { name: 'clamp', op: (x) => g.clamp(x, -0.5, 0.7), ref: (v) => Math.min(Math.max(v, -0.5), 0.7) },
  { name: 'where', op: (x) => g.where(g.greater(x, g.scalar(x, 0.5)), g.mul(x, x), g.neg(x)), ref: (v) => (v > 0.5 ? v * v : -v) },
];

describe('elementwise ops: forward values and gradients', () => {
  for (const c of CASES) {
    const dtype = c.dtype ?? 'float64';
    it(`${c.name} (${dtype})`, async () => {
      const graph = new g.Graph(c.name);
      graph.output(c.op(graph.input('x', dtype, [X.length])), 'y');
      const data = dtype === 'float64' ? Float64Array.from(X) : Float32Array.from(X);
      const out = await runGraph(graph, { x: hostTensor(dtype, [X.length], data) });
      const y = [...(out.y!.data as Float64Array)];
      y.forEach((v, i) => expect(v).toBeCloseTo(c.ref(X[i]!), dtype === 'float64' ? 12 : 6));
      const result = await gradcheck(wasmRuntime(), { dtype, inputs: [{ shape: [X.length], data: X }], build: ([x]) => c.op(x!) }, dtype === 'float64' ? {} : { eps: 1e-3 });
      expectGradMatches(result, dtype === 'float64' ? { rtol: 1e-6, atol: 1e-9 } : { rtol: 2e-3, atol: 1e-4 });
      expect(result.opsOffWebGpu).toEqual([]);
    });
  }
});

describe('shape ops: forward values and gradients (float64)', () => {
  const check = async (inputShapes: number[][], build: (xs: readonly g.Tensor[]) => g.Tensor) => {
    const result = await gradcheck(wasmRuntime(), { inputs: inputShapes.map((shape) => ({ shape })), build });
    expectGradMatches(result, { rtol: 1e-6, atol: 1e-9 });
  };

  it('pad: constant, reflect and edge place values as torch does', async () => {
    const graph = new g.Graph('pad');
    const x = graph.input('x', 'float64', [1, 4]);
    graph.output(g.pad(x, [0, 2], [0, 3], 'constant', 9), 'c');
    graph.output(g.pad(x, [0, 2], [0, 3], 'reflect'), 'r');
    graph.output(g.pad(x, [0, 2], [0, 3], 'edge'), 'e');
    const out = await runGraph(graph, { x: hostTensor('float64', [1, 4], Float64Array.of(1, 2, 3, 4)) });
    expect([...out.c!.data]).toEqual([9, 9, 1, 2, 3, 4, 9, 9, 9]);
    expect([...out.r!.data]).toEqual([3, 2, 1, 2, 3, 4, 3, 2, 1]);
    expect([...out.e!.data]).toEqual([1, 1, 1, 2, 3, 4, 4, 4, 4]);
    for (const mode of ['constant', 'reflect', 'edge'] as const) await check([[2, 3, 5]], ([t]) => g.pad(t!, [0, 1, 2], [1, 1, 2], mode));
    expect(() => g.pad(x, [0, 4], [0, 0], 'reflect')).toThrowError(/needs pads smaller than the dimensions/);
  });

  it('concat, slice, flip, expand, identity and reductions', async () => {
    const graph = new g.Graph('shape');
    const x = graph.input('x', 'float64', [2, 3]);
    graph.output(g.concat([x, g.flip(x, 1)], 0), 'cat');
    graph.output(g.slice(x, [1], [-2], [100]), 'sl');
    graph.output(g.expand(g.reduceMean(x, [1], true), [2, 3]), 'ex');
    graph.output(g.reduceSum(g.identity(x), [0]), 'rs');
    const out = await runGraph(graph, { x: hostTensor('float64', [2, 3], Float64Array.of(1, 2, 3, 4, 5, 6)) });
    expect([...out.cat!.data]).toEqual([1, 2, 3, 4, 5, 6, 3, 2, 1, 6, 5, 4]);
    expect([...out.sl!.data]).toEqual([2, 3, 5, 6]);
    expect([...out.ex!.data]).toEqual([2, 2, 2, 5, 5, 5]);
    expect([...out.rs!.data]).toEqual([5, 7, 9]);
    await check([[2, 3], [2, 2]], ([a, b]) => g.mul(g.concat([a!, b!, g.flip(a!, [0, 1])], 1), g.concat([b!, a!, a!], 1)));
    await check([[3, 4]], ([a]) => g.mul(g.slice(a!, [0, 1], [1, -3], [3, -1]), g.expand(g.reduceMean(a!, [0, 1], true), [2, 2])));
    await check([[2, 3, 4]], ([a]) => g.transpose(g.reduceSum(g.mul(a!, a!), [1]), [1, 0]));
  });
});
