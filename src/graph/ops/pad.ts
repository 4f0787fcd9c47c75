import { ShapeError } from '../../errors';
import { formatShape, type Tensor } from '../tensor';
import { defineVjp } from '../vjp';
import { add } from './elementwise';
import { apply, int64s, scalar } from './apply';
import { reduceSum } from './reduce';
import { flip, slice } from './shape';

export type PadMode = 'constant' | 'reflect' | 'edge';

/** ONNX Pad: `begin[i]`/`end[i]` elements before/after axis i; reflect excludes the edge, as torch's reflect does. */
export function pad(x: Tensor, begin: readonly number[], end: readonly number[], mode: PadMode = 'constant', value = 0): Tensor {
  const rank = x.shape.length;
  if (begin.length !== rank || end.length !== rank || [...begin, ...end].some((p) => p < 0 || !Number.isInteger(p))) {
    throw new ShapeError(`Pad: pads [${begin}] / [${end}] do not fit ${formatShape(x.shape)}`);
  }
  if (mode === 'reflect' && x.shape.some((n, i) => begin[i]! >= n || end[i]! >= n)) {
    throw new ShapeError(`Pad: reflect padding [${begin}] / [${end}] needs pads smaller than the dimensions of ${formatShape(x.shape)}`);
  }
  if (begin.every((p) => p === 0) && end.every((p) => p === 0)) return x;
  const shape = x.shape.map((n, i) => n + begin[i]! + end[i]!);
  const inputs = mode === 'constant' ? [x, int64s(x, [...begin, ...end]), scalar(x, value)] : [x, int64s(x, [...begin, ...end])];
  return apply('Pad', inputs, shape, { mode: { s: mode } });
}

const zerosBut = (rank: number, axis: number, v: number) => Array.from({ length: rank }, (_, i) => (i === axis ? v : 0));

/** The cotangent of one padded axis, folded back onto the input's n elements. */
function unpadAxis(d: Tensor, axis: number, n: number, before: number, after: number, mode: PadMode): Tensor {
  const rank = d.shape.length;
  const center = slice(d, [axis], [before], [before + n]);
  if (mode === 'constant') return center;
  const place = (part: Tensor, at: number) => pad(part, zerosBut(rank, axis, at), zerosBut(rank, axis, n - at - part.shape[axis]!));
  let out = center;
  if (mode === 'reflect') {
    // Output index before-1-k came from input k+1; output before+n+k from input n-2-k.
    if (before > 0) out = add(out, place(flip(slice(d, [axis], [0], [before]), [axis]), 1));
    if (after > 0) out = add(out, place(flip(slice(d, [axis], [before + n], [before + n + after]), [axis]), n - 1 - after));
    return out;
  }
  if (before > 0) out = add(out, place(reduceSum(slice(d, [axis], [0], [before]), [axis], true), 0));
  if (after > 0) out = add(out, place(reduceSum(slice(d, [axis], [before + n], [before + n + after]), [axis], true), n - 1));
  return out;
}

defineVjp('Pad', ({ node, inputs: [x, pads], dOutputs: [dy] }) => {
  const mode = ((node.attributes.mode as { s: string } | undefined)?.s ?? 'constant') as PadMode;
  const p = [...(x!.graph.constantData(pads!) as BigInt64Array)].map(Number);
  const rank = x!.shape.length;
  let d = dy!;
  for (let axis = 0; axis < rank; axis++) {
    if (p[axis] !== 0 || p[axis + rank] !== 0) d = unpadAxis(d, axis, x!.shape[axis]!, p[axis]!, p[axis + rank]!, mode);
  }
  return mode === 'constant' ? [d, null, null] : [d, null];
});
