import { ShapeError, UnsupportedOpError } from '../../errors';
import { formatShape, sameShape, size, type Tensor } from '../tensor';
import { defineVjp } from '../vjp';
import { apply, axisOf } from './apply';
import { concat, expand, reshape, slice, zeros } from './shape';

const axisAttr = (node: { attributes: Record<string, unknown> }): number => (node.attributes.axis as { i: number }).i;

/** Constant indices are checked at build time against the axis length (ONNX allows [-n, n-1]). */
function checkConstantIndices(op: string, x: Tensor, indices: Tensor, n: number): void {
  if (!x.graph.isConstant(indices)) return;
  const bad = [...(x.graph.constantData(indices) as BigInt64Array | Int32Array)].map(Number).find((i) => i < -n || i >= n);
  if (bad !== undefined) throw new ShapeError(`${op}: index ${bad} is out of range for axis of length ${n} in ${formatShape(x.shape)}`);
}

/**
 * ONNX Gather, numpy's take: slices of x along `axis` picked by int32 or int64 indices (negative ones
 * count from the end). The output shape is x.shape[:axis] + indices.shape + x.shape[axis+1:].
 */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  const a = axisOf('Gather', axis, x.shape.length);
  if (indices.dtype !== 'int64' && indices.dtype !== 'int32') throw new ShapeError(`Gather: indices must be int32 or int64, got ${indices.dtype} ${formatShape(indices.shape)}`);
  checkConstantIndices('Gather', x, indices, x.shape[a]!);
  const shape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
  return apply('Gather', [x, indices], shape, { axis: { i: a } });
}

/**
 * The cotangent of Gather adds each picked slice back where it came from (repeated indices add up):
 * ScatterElements-add along the gathered axis, with the indices flattened and broadcast over dy's
 * other axes. Not ScatterND-add, whose slices would need fewer indices: onnxruntime's CPU kernel
 * splits its indices over threads with no atomics, so repeated indices lose updates (issue #23396;
 * 5.9M indices into 65,536 rows of 3 with 2 threads: 1,257 of 196,608 sums wrong).
 */
defineVjp('Gather', ({ node, inputs: [x, indices], dOutputs: [dy] }) => {
  const a = axisAttr(node);
  const n = size(indices!.shape);
  const shape = [...x!.shape.slice(0, a), n, ...x!.shape.slice(a + 1)];
  const index = expand(reshape(indices!, shape.map((d, i) => (i === a ? d : 1))), shape);
  return [scatterAdd(zeros(dy!, x!.shape), index, reshape(dy!, shape), a), null];
});

/**
 * ONNX GatherElements, torch.gather: out[i][j][k] = x[i][index[i][j][k]][k] for axis 1. Indices
 * (int32 or int64) have x's rank, are no larger than x on the other axes, and give the output shape.
 */
export function gatherElements(x: Tensor, indices: Tensor, axis: number): Tensor {
  const a = axisOf('GatherElements', axis, x.shape.length);
  const shapes = `x ${formatShape(x.shape)}, indices ${formatShape(indices.shape)}`;
  if (indices.dtype !== 'int64' && indices.dtype !== 'int32') throw new ShapeError(`GatherElements: indices must be int32 or int64, got ${indices.dtype}`);
  if (indices.shape.length !== x.shape.length || indices.shape.some((d, i) => i !== a && d > x.shape[i]!)) {
    throw new ShapeError(`GatherElements: indices do not fit along axis ${axis}: ${shapes}`);
  }
  checkConstantIndices('GatherElements', x, indices, x.shape[a]!);
  return apply('GatherElements', [x, indices], indices.shape, { axis: { i: a } });
}

/** The cotangent of GatherElements adds each element of dy back where it was read. */
defineVjp('GatherElements', ({ node, inputs: [x, indices], dOutputs: [dy] }) => [scatterAdd(zeros(dy!, x!.shape), indices!, dy!, axisAttr(node)), null]);

/**
 * ONNX ScatterElements with reduction 'add', torch's scatter_add: x with each update added at its
 * index along `axis` (repeated indices add up). Indices (int32 or int64) and updates share a shape of
 * x's rank, no larger than x on the other axes. onnxruntime's CPU kernel runs it on one thread, so
 * repeated indices are safe (its ScatterND-add is not: see Gather's gradient).
 */
export function scatterAdd(x: Tensor, indices: Tensor, updates: Tensor, axis: number): Tensor {
  const a = axisOf('ScatterElements', axis, x.shape.length);
  const shapes = `x ${formatShape(x.shape)}, indices ${formatShape(indices.shape)}, updates ${formatShape(updates.shape)}`;
  if (indices.dtype !== 'int64' && indices.dtype !== 'int32') throw new ShapeError(`ScatterElements: indices must be int32 or int64, got ${indices.dtype}`);
  if (updates.dtype !== x.dtype || !sameShape(updates.shape, indices.shape)) throw new ShapeError(`ScatterElements: updates must be indices' shape and x's dtype: ${shapes}`);
  if (indices.shape.length !== x.shape.length || indices.shape.some((d, i) => i !== a && d > x.shape[i]!)) {
    throw new ShapeError(`ScatterElements: indices do not fit along axis ${axis}: ${shapes}`);
  }
  return apply('ScatterElements', [x, indices, updates], x.shape, { axis: { i: a }, reduction: { s: 'add' } });
}
/** An add-scatter passes dy to x unchanged, and each update's cotangent is dy where it was added. */
defineVjp('ScatterElements', ({ node, inputs: [, indices], dOutputs: [dy] }) => {
  const reduction = (node.attributes.reduction as { s: string } | undefined)?.s;
  if (reduction !== 'add') throw new UnsupportedOpError(`no gradient rule for ScatterElements with reduction '${reduction ?? 'none'}'`);
  return [dy!, null, gatherElements(dy!, indices!, axisAttr(node))];
});

const asList = (v: number | readonly number[]): readonly number[] => (typeof v === 'number' ? [v] : v);

/**
 * torch.roll: out[i] = x[(i - shift) mod n] along each axis, written as two slices and a concat so
 * the gradient is theirs. A shift that is a multiple of the length leaves x as it is.
 */
export function roll(x: Tensor, shifts: number | readonly number[], axes: number | readonly number[]): Tensor {
  const s = asList(shifts);
  const list = asList(axes);
  if (s.length !== list.length) throw new ShapeError(`Roll: ${s.length} shifts for ${list.length} axes of ${formatShape(x.shape)}`);
  return list.reduce((y, axis, k) => {
    const a = axisOf('Roll', axis, y.shape.length);
    const n = y.shape[a]!;
    const shift = ((s[k]! % n) + n) % n;
    return shift === 0 ? y : concat([slice(y, [a], [n - shift], [n]), slice(y, [a], [0], [n - shift])], a);
  }, x);
}
