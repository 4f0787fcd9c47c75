import { ShapeError } from '../../errors';
import { formatShape, sameShape, size, type Tensor } from '../tensor';
import { defineVjp } from '../vjp';
import { apply, axisOf, int64s, scalar } from './apply';
import { pad } from './pad';


/** ONNX Reshape with a fully static target shape (no -1 or 0 placeholders: shapes are known at build time). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  if (size(shape) !== size(x.shape)) throw new ShapeError(`Reshape: cannot reshape ${formatShape(x.shape)} to ${formatShape(shape)}`);
  if (sameShape(x.shape, shape)) return x;
  return apply('Reshape', [x, int64s(x, shape)], shape);
}
defineVjp('Reshape', ({ inputs: [x], dOutputs: [dy] }) => [reshape(dy!, x!.shape), null]);

/**
 * ONNX Transpose. A transpose of a transpose is built as one transpose of the first one's input (and
 * as nothing when they cancel): gradient rules transpose back what the forward transposed, and each
 * transpose is a full copy of its tensor.
 */
export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== x.shape.length || sorted.some((p, i) => p !== i)) {
    throw new ShapeError(`Transpose: perm [${perm.join(', ')}] does not fit ${formatShape(x.shape)}`);
  }
  const before = x.graph.producer(x);
  if (before?.opType === 'Transpose') {
    const first = (before.attributes.perm as { ints: number[] }).ints;
    return transpose(x.graph.lookup(before.inputs[0]!), perm.map((p) => first[p]!));
  }
  if (perm.every((p, i) => p === i)) return x;
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

/** Zeros of `like`'s dtype in `shape`: a broadcast scalar, not a stored array (the base of a scatter-add, a missing cotangent). */
export const zeros = (like: Tensor, shape: readonly number[]): Tensor => expand(scalar(like, 0), shape);

export function identity(x: Tensor): Tensor {
  return apply('Identity', [x], x.shape);
}
defineVjp('Identity', ({ dOutputs: [dy] }) => [dy!]);

/**
 * ONNX Split into `parts` equal pieces along `axis`. Its gradient is one Concat of the pieces'
 * cotangents (zeros where none flows), where slices would each pad theirs to the whole and add.
 */
export function split(x: Tensor, axis: number, parts: number): Tensor[] {
  const a = axisOf('Split', axis, x.shape.length);
  const n = x.shape[a]!;
  if (!Number.isInteger(parts) || parts < 1 || n % parts !== 0) throw new ShapeError(`Split: ${parts} equal parts do not divide axis ${axis} of ${formatShape(x.shape)}`);
  const piece = { dtype: x.dtype, shape: x.shape.map((d, i) => (i === a ? n / parts : d)) };
  return x.graph.node('Split', [x, int64s(x, Array.from({ length: parts }, () => n / parts))], Array.from({ length: parts }, () => piece), { axis: { i: a } });
}
defineVjp('Split', ({ node, outputs, dOutputs }) => {
  const axis = (node.attributes.axis as { i: number }).i;
  const zero = (o: Tensor) => zeros(o, o.shape);
  return [concat(outputs.map((o, k) => dOutputs[k] ?? zero(o)), axis), null];
});

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

/** ONNX Slice with static bounds and step 1; bounds are clamped as numpy does (negative ones count from the end). */
export function slice(x: Tensor, axes: readonly number[], starts: readonly number[], ends: readonly number[]): Tensor {
  const norm = axes.map((a) => axisOf('Slice', a, x.shape.length));
  const shape = [...x.shape];
  const bounds = norm.map((a, k) => {
    const n = x.shape[a]!;
    const at = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
    shape[a] = Math.max(0, at(ends[k]!) - at(starts[k]!));
    return at(starts[k]!);
  });
  return apply('Slice', [x, int64s(x, bounds), int64s(x, bounds.map((b, k) => b + shape[norm[k]!]!)), int64s(x, norm)], shape);
}
defineVjp('Slice', ({ inputs: [x, starts, , axes, steps], dOutputs: [dy] }) => {
  const read = (t: Tensor) => [...(x!.graph.constantData(t) as BigInt64Array)].map(Number);
  const a = read(axes!);
  if (steps) return [flip(dy!, a), null, null, null, null];
  const s = read(starts!);
  const begin = x!.shape.map(() => 0);
  const after = x!.shape.map(() => 0);
  a.forEach((axis, k) => {
    begin[axis] = s[k]!;
    after[axis] = x!.shape[axis]! - s[k]! - dy!.shape[axis]!;
  });
  return [pad(dy!, begin, after), null, null, null];
});

/**
 * Reverses whole axes (torch.flip): a Slice from the last element with step -1, the only
 * negative-step form onnxruntime-web's WebGPU EP computes correctly.
 */
export function flip(x: Tensor, axes: number | readonly number[]): Tensor {
  const norm = (typeof axes === 'number' ? [axes] : axes).map((a) => axisOf('Flip', a, x.shape.length));
  const ends = norm.map((a) => -x.shape[a]! - 1);
  return apply('Slice', [x, int64s(x, norm.map(() => -1)), int64s(x, ends), int64s(x, norm), int64s(x, norm.map(() => -1))], x.shape);
}
