import { type Graph, type Tensor } from '../../graph';
import { ShapeError } from '../../errors';
import type { ClipStateDict } from './state-dict';

/** Makes graph constants of CLIP weights on first use, one per name, so shared towers are stored once. */
export type Param = (name: string, shape?: readonly number[]) => Tensor;

export function clipParams(graph: Graph, weights: ClipStateDict): Param {
  const made = new Map<string, Tensor>();
  return (name, shape) => {
    const hit = made.get(name);
    if (hit) return hit;
    const w = weights.get(name);
    if (!w) throw new ShapeError(`CLIP weight '${name}' is missing`);
    const want = shape ?? w.shape;
    if (shape && (shape.length !== w.shape.length || shape.some((d, i) => d !== w.shape[i]))) {
      throw new ShapeError(`CLIP weight '${name}' has shape [${w.shape.join(', ')}], the architecture needs [${shape.join(', ')}]`);
    }
    const t = graph.constant('float32', want, w.data, name);
    made.set(name, t);
    return t;
  };
}
