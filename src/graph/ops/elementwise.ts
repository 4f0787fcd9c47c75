import { ShapeError } from '../../errors';
import { broadcastShapes } from '../broadcast';
import type { Tensor } from '../tensor';

function binary(opType: string) {
  return (a: Tensor, b: Tensor): Tensor => {
    if (a.dtype !== b.dtype) throw new ShapeError(`${opType}: dtypes ${a.dtype} and ${b.dtype} differ`);
    const shape = broadcastShapes(opType, a.shape, b.shape);
    return a.graph.node(opType, [a, b], [{ dtype: a.dtype, shape }])[0]!;
  };
}

function unary(opType: string) {
  return (x: Tensor): Tensor => x.graph.node(opType, [x], [{ dtype: x.dtype, shape: x.shape }])[0]!;
}

export const add = binary('Add');
export const sub = binary('Sub');
export const mul = binary('Mul');
export const div = binary('Div');

export const tanh = unary('Tanh');
export const sigmoid = unary('Sigmoid');
export const relu = unary('Relu');
export const exp = unary('Exp');
export const neg = unary('Neg');

/** A float32 scalar constant, broadcastable against any tensor of the graph. */
export const scalar = (like: Tensor, value: number): Tensor =>
  like.graph.constant('float32', [], new Float32Array([value]));
