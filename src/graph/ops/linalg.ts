import { ShapeError } from '../../errors';
import { broadcastShapes } from '../broadcast';
import { formatShape, type Tensor } from '../tensor';

/** ONNX MatMul (numpy matmul semantics for rank ≥ 2; batch dimensions broadcast). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.shape.length < 2 || b.shape.length < 2) {
    throw new ShapeError(`MatMul: needs rank ≥ 2, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  const [m, k] = a.shape.slice(-2) as [number, number];
  const [k2, n] = b.shape.slice(-2) as [number, number];
  if (k !== k2) throw new ShapeError(`MatMul: inner dimensions of ${formatShape(a.shape)} and ${formatShape(b.shape)} differ`);
  const batch = broadcastShapes('MatMul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  return a.graph.node('MatMul', [a, b], [{ dtype: a.dtype, shape: [...batch, m, n] }])[0]!;
}
