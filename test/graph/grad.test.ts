import { describe, expect, it } from 'vitest';
import { add, conv2d, grad, Graph, linear, mul, tanh, type Tensor } from '../../src/graph';
import { hostTensor } from '../../src/runtime';
import { gradcheck } from '../helpers/gradcheck';
import { maxAbsDiff, runGraph, wasmRuntime } from '../helpers/ort';
import { matmulRef, ramp } from '../helpers/reference';

describe('grad', () => {
  it('sums a broadcast operand back to its shape and fan-in over every use', async () => {
    const g = new Graph('fan-in');
    const x = g.input('x', 'float64', [2, 3]);
    const b = g.input('b', 'float64', [3]);
    const y = add(mul(x, b), mul(b, b)); // dy/db = Σ_rows x + 2b per use of the broadcast
    const [dx, db] = grad([y], [x, b], [g.input('cot', 'float64', [2, 3])]);
    g.output(dx!, 'dx');
    g.output(db!, 'db');
    const ones = new Float64Array(6).fill(1);
    const out = await runGraph(g, {
      x: hostTensor('float64', [2, 3], Float64Array.of(1, 2, 3, 4, 5, 6)),
      b: hostTensor('float64', [3], Float64Array.of(10, 20, 30)),
      cot: hostTensor('float64', [2, 3], ones),
    });
    expect([...out.dx!.data]).toEqual([10, 20, 30, 10, 20, 30]);
    expect(out.db!.shape).toEqual([3]);
    expect([...out.db!.data]).toEqual([1 + 4 + 2 * 2 * 10, 2 + 5 + 2 * 2 * 20, 3 + 6 + 2 * 2 * 30]);
  });

  it('gives zeros for an input the output does not depend on', async () => {
    const g = new Graph('unused');
    const x = g.input('x', 'float32', [2]);
    const unused = g.input('u', 'float32', [3]);
    const [du] = grad([tanh(x)], [unused], [g.input('cot', 'float32', [2])]);
    g.output(du!, 'du');
    const out = await runGraph(g, { x: hostTensor('float32', [2], new Float32Array(2)), u: hostTensor('float32', [3], new Float32Array(3)), cot: hostTensor('float32', [2], new Float32Array(2)) });
    expect([...out.du!.data]).toEqual([0, 0, 0]);
  });

  it('differentiates with respect to weights (constants) when asked: dW of a linear layer is dyᵀ·x', async () => {
    const g = new Graph('weights');
    const xData = ramp(4 * 3);
    const x = g.input('x', 'float32', [4, 3]);
    const w = g.constant('float32', [2, 3], ramp(6, 0.5, 1), 'w');
    const bias = g.constant('float32', [2], Float32Array.of(0.1, -0.2), 'b');
    const cotData = ramp(8, 1, 2);
    const [dw, db] = grad([linear(x, w, bias)], [w, bias], [g.input('cot', 'float32', [4, 2])]);
    g.output(dw!, 'dw');
    g.output(db!, 'db');
    const out = await runGraph(g, { x: hostTensor('float32', [4, 3], xData), cot: hostTensor('float32', [4, 2], cotData) });
    const cotT = Float32Array.from({ length: 8 }, (_, i) => cotData[(i % 4) * 2 + Math.floor(i / 4)]!);
    expect(maxAbsDiff(out.dw!.data as Float32Array, matmulRef(cotT, xData, 2, 4, 3))).toBeLessThan(1e-6);
    expect(maxAbsDiff(out.db!.data as Float32Array, [0, 1].map((j) => [0, 1, 2, 3].reduce((s, i) => s + cotData[2 * i + j]!, 0)))).toBeLessThan(1e-6);
  });

  it('checks conv weight gradients against finite differences, grouped and strided (float32)', async () => {
    const result = await gradcheck(wasmRuntime(), {
      dtype: 'float32',
      inputs: [{ shape: [2, 4, 7, 6] }, { shape: [6, 2, 3, 3] }, { shape: [6] }],
      build: ([x, w, b]: readonly Tensor[]) => conv2d(x!, w!, b!, { stride: 2, padding: 1, groups: 2 }),
    }, { eps: 1e-2 });
    // float32 forwards with a 1e-2 step: truncation and rounding keep agreement at the 1e-3 level.
    expect(result.maxRelError).toBeLessThan(2e-3);
    expect(result.opsOffWebGpu).toEqual([]);
  });

  it.each([
    ['3×3, padding 1, batch 2', [2, 3, 6, 5], [4, 3, 3, 3], 1],
    ['3×3, no padding, batch 1', [1, 2, 7, 6], [3, 2, 3, 3], 0],
    ['1×1, batch 2', [2, 5, 4, 3], [3, 5, 1, 1], 0],
  ] as const)('checks stride-1 conv weight gradients (one MatMul per kernel tap) against finite differences: %s', async (_name, xShape, wShape, padding) => {
    const result = await gradcheck(wasmRuntime(), {
      dtype: 'float32',
      inputs: [{ shape: xShape }, { shape: wShape }, { shape: [wShape[0]] }],
      build: ([x, w, b]: readonly Tensor[]) => conv2d(x!, w!, b!, { padding }),
    }, { eps: 1e-2 });
    expect(result.maxRelError).toBeLessThan(2e-3);
    expect(result.opsOffWebGpu).toEqual([]);
  });

  it('refuses ops without a gradient rule, naming the op and its input shapes', () => {
    const g = new Graph('no-rule');
    const x = g.input('x', 'float32', [2, 2]);
    const [y] = g.node('Det', [x], [{ dtype: 'float32', shape: [] }]);
    expect(() => grad([y!], [x], [g.input('cot', 'float32', [])])).toThrowError(/no gradient rule for Det \(inputs \[2, 2\]\)/);
  });

  it('refuses a cotangent whose shape does not fit the output', () => {
    const g = new Graph('bad-cot');
    const x = g.input('x', 'float32', [2, 2]);
    expect(() => grad([tanh(x)], [x], [g.input('cot', 'float32', [4])])).toThrowError(/cotangent \[4\] does not fit output/);
  });
});
