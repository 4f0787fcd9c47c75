import type { Attributes } from '../attributes';
import type { DType } from '../dtype';
import type { Tensor } from '../tensor';

/** Appends a single-output node; the caller has inferred its shape. */
export function apply(opType: string, inputs: readonly Tensor[], shape: readonly number[], attributes: Attributes = {}, dtype?: DType): Tensor {
  const graph = inputs[0]!.graph;
  return graph.node(opType, inputs, [{ dtype: dtype ?? inputs[0]!.dtype, shape }], attributes)[0]!;
}

/** A scalar constant of `like`'s dtype, broadcastable against any tensor of its graph. */
export function scalar(like: Tensor, value: number): Tensor {
  if (like.dtype === 'float64') return like.graph.constant('float64', [], Float64Array.of(value));
  if (like.dtype === 'int64') return like.graph.constant('int64', [], BigInt64Array.of(BigInt(value)));
  return like.graph.constant('float32', [], Float32Array.of(value));
}

/** An int64 vector constant (shapes, axes, slice bounds). */
export const int64s = (like: Tensor, values: readonly number[]): Tensor =>
  like.graph.constant('int64', [values.length], BigInt64Array.from(values, (v) => BigInt(v)));

/** Normalises a possibly negative axis against a rank, throwing with the op's name when out of range. */
export function axisOf(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new RangeError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}
