import { ShapeError } from '../errors';
import { formatShape } from './tensor';

/** Numpy-style (multidirectional) broadcasting, as ONNX's elementwise ops define it. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}
