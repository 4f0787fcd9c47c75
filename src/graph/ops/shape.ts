import { ShapeError } from '../../errors';
import { formatShape, size, type Tensor } from '../tensor';
import { defineVjp } from '../vjp';
import { apply, axisOf, int64s } from './apply';
import { pad } from './pad';

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** ONNX Reshape with a fully static target shape (no -1 or 0 placeholders: shapes are known at build time). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  if (size(shape) !== size(x.shape)) throw new ShapeError(`Reshape: cannot reshape ${formatShape(x.shape)} to ${formatShape(shape)}`);
  if (sameShape(x.shape, shape)) return x;
  return apply('Reshape', [x, int64s(x, shape)], shape);
}
defineVjp('Reshape', ({ inputs: [x], dOutputs: [dy] }) => [reshape(dy!, x!.shape), null]);

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== x.shape.length || sorted.some((p, i) => p !== i)) {
    throw new ShapeError(`Transpose: perm [${perm.join(', ')}] does not fit ${formatShape(x.shape)}`);
  }
  return apply('Transpose', [x], perm.map((p) => x.shape[p]!), { perm: { ints: perm } });
}
defineVjp('Transpose', ({ node, dOutputs: [dy] }) => {
  const perm = (node.attributes.perm as { ints: number[] }).ints;
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return [transpose(dy!, inverse)];
});

/** Broadcasts x to `shape` (numpy rules); the gradient is summed back by grad()'s un-broadcasting. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const lead = shape.length - x.shape.length;
  if (lead < 0 || x.shape.some((d, i) => d !== 1 && d !== shape[i + lead])) {
    throw new ShapeError(`Expand: ${formatShape(x.shape)} does not broadcast to ${formatShape(shape)}`);
  }
  return apply('Expand', [x, int64s(x, shape)], shape);
}
defineVjp('Expand', ({ dOutputs: [dy] }) => [dy!, null]);

export function identity(x: Tensor): Tensor {
  return apply('Identity', [x], x.shape);
}
defineVjp('Identity', ({ dOutputs: [dy] }) => [dy!]);

export function concat(parts: readonly Tensor[], axis: number): Tensor {
  const first = parts[0]!;
  const a = axisOf('Concat', axis, first.shape.length);
  const fits = parts.every((p) => p.dtype === first.dtype && p.shape.length === first.shape.length && p.shape.every((d, i) => i === a || d === first.shape[i]));
  if (!fits) throw new ShapeError(`Concat: shapes ${parts.map((p) => formatShape(p.shape)).join(', ')} do not fit along axis ${axis}`);
  const shape = first.shape.map((d, i) => (i === a ? parts.reduce((n, p) => n + p.shape[a]!, 0) : d));
  return apply('Concat', parts, shape, { axis: { i: a } });
}
defineVjp('Concat', ({ node, inputs, dOutputs: [dy] }) => {
  const axis = (node.attributes.axis as { i: number }).i;
  let start = 0;
  return inputs.map((p) => {
    const part = slice(dy!, [axis], [start], [start + p.shape[axis]!]);
    start += p.shape[axis]!;
    return part;
  });
});

/**
 * ONNX Slice with static bounds and steps ±1. Bounds are clamped as numpy does; a step of -1 walks
 * backwards from `starts` (inclusive) to `ends` (exclusive), which is how flips are written.
 */
export function slice(x: Tensor, axes: readonly number[], starts: readonly number[], ends: readonly number[], steps?: readonly number[]): Tensor {
  const norm = axes.map((a) => axisOf('Slice', a, x.shape.length));
  const shape = [...x.shape];
  norm.forEach((a, k) => {
    const step = steps?.[k] ?? 1;
    if (step !== 1 && step !== -1) throw new ShapeError(`Slice: only steps ±1 are supported, got ${step}`);
    const n = x.shape[a]!;
    const clampTo = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + n : v, lo), hi);
    const s = clampTo(starts[k]!, step > 0 ? 0 : -1, step > 0 ? n : n - 1);
    const e = clampTo(ends[k]!, step > 0 ? 0 : -1, step > 0 ? n : n - 1);
    shape[a] = Math.max(0, step > 0 ? e - s : s - e);
  });
  return apply('Slice', [x, int64s(x, starts), int64s(x, ends), int64s(x, norm), int64s(x, steps ?? norm.map(() => 1))], shape);
}
// Only the start and the output's length are needed to place the cotangent back.
defineVjp('Slice', ({ inputs: [x, starts, , axes, steps], dOutputs: [dy] }) => {
  const graph = x!.graph;
  const read = (t: Tensor) => [...(graph.constantData(t) as BigInt64Array)].map(Number);
  const [s, a, st] = [read(starts!), read(axes!), read(steps!)];
  let d = dy!;
  const begin = x!.shape.map(() => 0);
  const after = x!.shape.map(() => 0);
  a.forEach((axis, k) => {
    const n = x!.shape[axis]!;
    const first = Math.min(Math.max(s[k]! < 0 ? s[k]! + n : s[k]!, st[k]! > 0 ? 0 : -1), st[k]! > 0 ? n : n - 1);
    const count = d.shape[axis]!;
    // A reversed slice's cotangent is reversed back, then placed like a forward one.
    if (st[k]! < 0) d = slice(d, [axis], [count - 1], [-count - 1], [-1]);
    const low = st[k]! > 0 ? first : first - count + 1;
    begin[axis] = low;
    after[axis] = n - low - count;
  });
  return [pad(d, begin, after), null, null, null, null];
});
