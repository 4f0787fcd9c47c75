import { ShapeError } from '../../errors';
import { defineVjp } from '../vjp';
import type { Tensor } from '../tensor';
import { apply, axisOf, int64s, scalar } from './apply';
import { expand, reshape } from './shape';
import { add, div } from './elementwise';

function reducedShape(op: string, x: Tensor, axes: readonly number[], keepdims: boolean): { axes: number[]; shape: number[] } {
  const norm = [...new Set(axes.map((a) => axisOf(op, a, x.shape.length)))].sort((a, b) => a - b);
  const shape = keepdims ? x.shape.map((d, i) => (norm.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !norm.includes(i));
  return { axes: norm, shape };
}

/** The cotangent of a reduction, reshaped to keep the reduced axes, broadcast back over them. */
function spread(dy: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return expand(reshape(dy, kept), x.shape);
}

const axesOf = (node: { attributes: Record<string, unknown> }, x: Tensor): number[] => {
  const attr = node.attributes.axes as { ints: number[] } | undefined;
  return attr ? attr.ints.map((a) => axisOf('Reduce', a, x.shape.length)) : x.shape.map((_, i) => i);
};

/** ReduceSum (opset 13+: axes are an input). */
export function reduceSum(x: Tensor, axes: readonly number[], keepdims = false): Tensor {
  const r = reducedShape('ReduceSum', x, axes, keepdims);
  return apply('ReduceSum', [x, int64s(x, r.axes)], r.shape, { keepdims: { i: keepdims ? 1 : 0 } });
}
defineVjp('ReduceSum', ({ inputs: [x, axes], dOutputs: [dy] }) => {
  const list = [...(x!.graph.constantData(axes!) as BigInt64Array)].map((a) => axisOf('ReduceSum', Number(a), x!.shape.length));
  return [spread(dy!, x!, list), null];
});

/** ReduceMean (opset 17: axes are an attribute). */
export function reduceMean(x: Tensor, axes: readonly number[], keepdims = false): Tensor {
  const r = reducedShape('ReduceMean', x, axes, keepdims);
  return apply('ReduceMean', [x], r.shape, { axes: { ints: r.axes }, keepdims: { i: keepdims ? 1 : 0 } });
}
defineVjp('ReduceMean', ({ node, inputs: [x], dOutputs: [dy] }) => {
  const axes = axesOf(node, x!);
  const count = axes.reduce((n, a) => n * x!.shape[a]!, 1);
  return [div(spread(dy!, x!, axes), scalar(x!, count))];
});

/**
 * Elementwise sum of same-shaped tensors; grad() uses it for fan-in. A balanced tree of Adds, since
 * ONNX Sum has no kernel on onnxruntime-web's WebGPU EP (it would run on the CPU).
 */
export function sum(parts: readonly Tensor[]): Tensor {
  const shape = parts[0]!.shape;
  if (parts.some((p) => p.shape.length !== shape.length || p.shape.some((d, i) => d !== shape[i]))) {
    throw new ShapeError(`Sum: shapes differ: ${parts.map((p) => `[${p.shape.join(', ')}]`).join(', ')}`);
  }
  if (parts.length === 1) return parts[0]!;
  const half = Math.ceil(parts.length / 2);
  return add(sum(parts.slice(0, half)), sum(parts.slice(half)));
}
