import { describe, expect, it } from 'vitest';
import { flip, gather, gatherElements, grad, Graph, mul, roll, scatterAdd, serialize, type Tensor } from '../../src/graph';
import { hostTensor } from '../../src/runtime';
import { gradcheck, type GradCheckSpec } from '../helpers/gradcheck';
import { runGraph, wasmRuntime } from '../helpers/ort';

const int64 = (like: Tensor, shape: readonly number[], values: readonly number[]) => like.graph.constant('int64', shape, BigInt64Array.from(values, BigInt));
const int32 = (like: Tensor, shape: readonly number[], values: readonly number[]) => like.graph.constant('int32', shape, Int32Array.from(values));
const iota = (n: number) => Float32Array.from({ length: n }, (_, i) => i);

/** Runs y = build(x) on the given float32 data; returns y's values. */
async function forward(shape: readonly number[], build: (x: Tensor) => Tensor): Promise<number[]> {
  const g = new Graph('forward');
  const x = g.input('x', 'float32', shape);
  g.output(build(x), 'y');
  const size = shape.reduce((a, b) => a * b, 1);
  const out = await runGraph(g, { x: hostTensor('float32', shape, iota(size)) });
  return [...(out.y!.data as Float32Array)];
}

/** The cotangent of x for y = build(x) and a given cotangent of y, through grad(). */
async function vjp(shape: readonly number[], build: (x: Tensor) => Tensor, cotangent: readonly number[]): Promise<number[]> {
  const g = new Graph('vjp');
  const x = g.input('x', 'float32', shape);
  const y = g.output(build(x), 'y');
  const dy = g.input('dy', 'float32', y.shape);
  g.output(grad([y], [x], [dy])[0]!, 'dx');
  const size = shape.reduce((a, b) => a * b, 1);
  const out = await runGraph(g, { x: hostTensor('float32', shape, iota(size)), dy: hostTensor('float32', y.shape, Float32Array.from(cotangent)) });
  return [...(out.dx!.data as Float32Array)];
}

/** Central differences in float64: these ops are linear in x, so the only error is rounding. */
async function expectGradient(spec: GradCheckSpec): Promise<void> {
  const result = await gradcheck(wasmRuntime(), spec, { directions: 3, coordinates: 4 });
  expect(result.opsOffWebGpu).toEqual([]);
  expect(result.maxRelError).toBeLessThan(1e-7);
}

describe('gather', () => {
  it('takes rows with negative indices and columns with 2-D indices', async () => {
    expect(await forward([3, 4], (x) => gather(x, int64(x, [2], [2, -3]), 0))).toEqual([8, 9, 10, 11, 0, 1, 2, 3]);
    // x[:, [[3, 0], [1, 1]]]: shape [3, 2, 2].
    expect(await forward([3, 4], (x) => gather(x, int64(x, [2, 2], [3, 0, 1, 1]), 1))).toEqual([3, 0, 1, 1, 7, 4, 5, 5, 11, 8, 9, 9]);
    expect(await forward([3, 4], (x) => gather(x, int64(x, [], [1]), 0))).toEqual([4, 5, 6, 7]);
  });

  it('adds the cotangents of repeated indices', async () => {
    // y = x[[1, 1, 3, -1]]: x[1] gets 1 + 2, x[3] gets 3 + 4.
    expect(await vjp([4], (x) => gather(x, int64(x, [4], [1, 1, 3, -1])), [1, 2, 3, 4])).toEqual([0, 3, 0, 7]);
    // int32 indices picking rows (the cutouts' taps): y = x[[1, 3, 1]], so x[1] gets (1, 2) + (5, 6).
    expect(await vjp([4, 2], (x) => gather(x, int32(x, [3], [1, 3, 1]), 0), [1, 2, 3, 4, 5, 6])).toEqual([0, 0, 6, 8, 0, 0, 3, 4]);
  });

  it('has gradients that match finite differences on every axis (float64)', async () => {
    await expectGradient({ inputs: [{ shape: [5, 3] }], build: ([x]) => gather(x!, int64(x!, [2, 3], [1, 4, 1, 0, 1, -1]), 0) });
    await expectGradient({ inputs: [{ shape: [2, 5, 3] }], build: ([x]) => gather(x!, int64(x!, [4], [4, 0, 4, 2]), 1) });
    await expectGradient({ inputs: [{ shape: [2, 3, 4] }], build: ([x]) => gather(x!, int64(x!, [3, 2], [3, 0, 1, 1, -1, 2]), 2) });
    await expectGradient({ inputs: [{ shape: [2, 3, 4] }], build: ([x]) => gather(x!, int64(x!, [], [2]), 1) });
    await expectGradient({ inputs: [{ shape: [5, 3] }], build: ([x]) => gather(x!, int32(x!, [4], [1, 4, 1, -2]), 0) });
  });

  it('takes indices from a graph input', async () => {
    const g = new Graph('gather-input');
    const x = g.constant('float32', [3, 2], iota(6));
    g.output(gather(x, g.input('i', 'int64', [2]), 0), 'y');
    const out = await runGraph(g, { i: hostTensor('int64', [2], BigInt64Array.of(2n, 0n)) });
    expect([...out.y!.data]).toEqual([4, 5, 0, 1]);
  });

  it('rejects float indices and constant indices out of range at build time', () => {
    const g = new Graph('bad');
    const x = g.input('x', 'float32', [3, 4]);
    expect(() => gather(x, g.constant('float32', [1], Float32Array.of(0)))).toThrowError(/Gather: indices must be int32 or int64, got float32 \[1\]/);
    expect(() => gather(x, int64(x, [2], [0, 4]), 1)).toThrowError(/Gather: index 4 is out of range for axis of length 4 in \[3, 4\]/);
    expect(() => gather(x, int64(x, [1], [-4]), 0)).toThrowError(/Gather: index -4 is out of range/);
    expect(() => gather(x, int64(x, [1], [0]), 2)).toThrowError(/Gather: axis 2 is out of range for rank 2/);
  });
});

describe('gatherElements', () => {
  it('matches torch.gather on the documented example', async () => {
    // torch.gather([[1, 2], [3, 4]], 1, [[0, 0], [1, 0]]) = [[1, 1], [4, 3]]; here x = [[0, 1], [2, 3]].
    expect(await forward([2, 2], (x) => gatherElements(x, int64(x, [2, 2], [0, 0, 1, 0]), 1))).toEqual([0, 0, 3, 2]);
    expect(await forward([2, 3], (x) => gatherElements(x, int32(x, [1, 3], [1, 0, -1]), 0))).toEqual([3, 1, 5]);
  });

  it('adds the cotangents of repeated indices', async () => {
    expect(await vjp([2, 2], (x) => gatherElements(x, int64(x, [2, 2], [0, 0, 1, 0]), 1), [1, 2, 3, 4])).toEqual([3, 0, 4, 3]);
  });

  it('has gradients that match finite differences (float64, int32 and int64 indices)', async () => {
    const index = [2, 0, 2, 1, 1, 1, 0, 2, 0, 0, 1, 2];
    await expectGradient({ inputs: [{ shape: [2, 3, 4] }], build: ([x]) => gatherElements(x!, int64(x!, [2, 3, 2], index), 2) });
    await expectGradient({ inputs: [{ shape: [3, 4] }], build: ([x]) => gatherElements(x!, int32(x!, [4, 3], index), 0) });
  });

  it('rejects indices that do not fit', () => {
    const g = new Graph('bad');
    const x = g.input('x', 'float32', [3, 4]);
    expect(() => gatherElements(x, int64(x, [3], [0, 1, 2]), 0)).toThrowError(/GatherElements: indices do not fit along axis 0: x \[3, 4\], indices \[3\]/);
    expect(() => gatherElements(x, int64(x, [2, 5], Array(10).fill(0)), 0)).toThrowError(/indices do not fit/);
    expect(() => gatherElements(x, int64(x, [1, 1], [3]), 0)).toThrowError(/GatherElements: index 3 is out of range/);
  });
});

describe('scatterAdd', () => {
  it('adds updates at their indices as torch.scatter_add does, repeated indices adding up', async () => {
    // x = [0, 1, 2, 3, 4] plus updates [10, 20, 30] at [4, 0, 4].
    expect(await forward([5], (x) => scatterAdd(x, int32(x, [3], [4, 0, 4]), x.graph.constant('float32', [3], Float32Array.of(10, 20, 30)), 0))).toEqual([20, 1, 2, 3, 44]);
  });

  it('has gradients that match finite differences for x and the updates (float64)', async () => {
    await expectGradient({ inputs: [{ shape: [2, 5] }, { shape: [2, 3] }], build: ([x, u]) => scatterAdd(x!, int64(x!, [2, 3], [4, 0, 4, 1, 1, 3]), u!, 1) });
  });

  it('rejects updates that are not the indices\' shape', () => {
    const g = new Graph('bad');
    const x = g.input('x', 'float32', [5]);
    expect(() => scatterAdd(x, int32(x, [2], [0, 1]), g.input('u', 'float32', [3]), 0)).toThrowError(/ScatterElements: updates must be indices' shape and x's dtype: x \[5\], indices \[2\], updates \[3\]/);
  });

  it('runs one graph on lists of any length through a named input dim, gradient included', async () => {
    const g = new Graph('taps');
    const x = g.input('x', 'float32', [4]);
    const [at, w] = [g.input('at', 'int32', [100], ['taps']), g.input('w', 'float32', [100], ['taps'])];
    const y = g.output(scatterAdd(x, at, mul(gatherElements(x, at, 0), w), 0), 'y');
    g.output(grad([y], [x], [g.input('dy', 'float32', [4])])[0]!, 'dx');
    const session = await wasmRuntime().createSession(serialize(g));
    const run = async (taps: number[], weights: number[]) => {
      const n = taps.length;
      const out = await session.run({
        x: hostTensor('float32', [4], Float32Array.of(1, 2, 3, 4)), dy: hostTensor('float32', [4], Float32Array.of(1, 10, 100, 1000)),
        at: hostTensor('int32', [n], Int32Array.from(taps)), w: hostTensor('float32', [n], Float32Array.from(weights)),
      });
      return [[...out.y!.data], [...out.dx!.data]];
    };
    // y = x + Σ w·x[at] at at: with one tap x[3] doubles; with three, x[0] gains 2·x[0] + x[0].
    expect(await run([3], [1])).toEqual([[1, 2, 3, 8], [1, 10, 100, 2000]]);
    expect(await run([0, 0, 2], [2, 1, 0.5])).toEqual([[4, 2, 4.5, 4], [4, 10, 150, 1000]]);
    await session.dispose();
  });
});

describe('roll and flip', () => {
  it('roll moves elements as torch.roll does', async () => {
    expect(await forward([2, 5], (x) => roll(x, 2, 1))).toEqual([3, 4, 0, 1, 2, 8, 9, 5, 6, 7]);
    expect(await forward([2, 5], (x) => roll(x, -6, -1))).toEqual([1, 2, 3, 4, 0, 6, 7, 8, 9, 5]);
    expect(await forward([2, 3], (x) => roll(x, [1, -1], [0, 1]))).toEqual([4, 5, 3, 1, 2, 0]);
    const g = new Graph('noop');
    const x = g.input('x', 'float32', [4]);
    expect(roll(x, 8, 0)).toBe(x);
    expect(() => roll(x, [1, 2], [0])).toThrowError(/Roll: 2 shifts for 1 axes of \[4\]/);
  });

  it('flip reverses one or several axes', async () => {
    expect(await forward([2, 3], (x) => flip(x, 1))).toEqual([2, 1, 0, 5, 4, 3]);
    expect(await forward([2, 3], (x) => flip(x, [0, -1]))).toEqual([5, 4, 3, 2, 1, 0]);
  });

  it('have gradients that match finite differences (float64)', async () => {
    await expectGradient({ inputs: [{ shape: [2, 3, 4] }], build: ([x]) => roll(x!, [-1, 3], [1, 2]) });
    await expectGradient({ inputs: [{ shape: [2, 3, 4] }], build: ([x]) => flip(x!, [0, 2]) });
  });
});
