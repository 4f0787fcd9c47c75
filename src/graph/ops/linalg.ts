import { ShapeError } from '../../errors';
import { broadcastShapes } from '../broadcast';
import { formatShape, type Tensor } from '../tensor';
import { defineVjp } from '../vjp';
import { apply } from './apply';
import { add } from './elementwise';
import { transpose } from './shape';

/** ONNX MatMul (numpy matmul semantics for rank ≥ 2; batch dimensions broadcast). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.shape.length < 2 || b.shape.length < 2) {
    throw new ShapeError(`MatMul: needs rank ≥ 2, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  const [m, k] = a.shape.slice(-2) as [number, number];
  const [k2, n] = b.shape.slice(-2) as [number, number];
  if (k !== k2) throw new ShapeError(`MatMul: inner dimensions of ${formatShape(a.shape)} and ${formatShape(b.shape)} differ`);
  const batch = broadcastShapes('MatMul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  return apply('MatMul', [a, b], [...batch, m, n]);
}

/** Swaps the last two axes. */
export function transposeLast(x: Tensor): Tensor {
  const perm = x.shape.map((_, i) => i);
  perm.push(...perm.splice(-2).reverse());
  return transpose(x, perm);
}

// dA = dY·Bᵀ, dB = Aᵀ·dY; batch axes that were broadcast are summed by grad().
defineVjp('MatMul', ({ inputs: [a, b], dOutputs: [dy] }) => [matmul(dy!, transposeLast(b!)), matmul(transposeLast(a!), dy!)]);

/**
 * torch.nn.Linear: x·Wᵀ + b with W stored [out, in] as in checkpoints. The transpose is of a
 * constant, so graph optimisation folds it away.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  if (weight.shape.length !== 2 || x.shape[x.shape.length - 1] !== weight.shape[1]) {
    throw new ShapeError(`Linear: input ${formatShape(x.shape)} does not fit weight ${formatShape(weight.shape)}`);
  }
  const y = matmul(x, transpose(weight, [1, 0]));
  return bias ? add(y, bias) : y;
}
