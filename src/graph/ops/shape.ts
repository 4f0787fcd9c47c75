import { ShapeError } from '../../errors';
import { formatShape, size, type Tensor } from '../tensor';

/** ONNX Reshape with a fully static target shape (no -1 or 0 placeholders: shapes are known at build time). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  if (size(shape) !== size(x.shape)) {
    throw new ShapeError(`Reshape: cannot reshape ${formatShape(x.shape)} to ${formatShape(shape)}`);
  }
  const target = x.graph.constant('int64', [shape.length], BigInt64Array.from(shape, BigInt));
  return x.graph.node('Reshape', [x, target], [{ dtype: x.dtype, shape }])[0]!;
}

export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== x.shape.length || sorted.some((p, i) => p !== i)) {
    throw new ShapeError(`Transpose: perm [${perm.join(', ')}] does not fit ${formatShape(x.shape)}`);
  }
  const shape = perm.map((p) => x.shape[p]!);
  return x.graph.node('Transpose', [x], [{ dtype: x.dtype, shape }], { perm: { ints: perm } })[0]!;
}
