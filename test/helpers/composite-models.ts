import * as g from '../../src/graph';
import { ramp } from './reference';

/**
 * A small network touching many ops (conv with stride and groups, reflect padding, flips, concat,
 * matmul, reductions, elementwise math) with its gradient with respect to the image appended:
 * outputs `y` and `dx`. Used to compare execution providers on the same exported gradient graph.
 */
export function buildGradComposite(): { model: Uint8Array; feeds: Record<string, { dims: number[]; data: number[] }> } {
  const graph = new g.Graph('grad-composite');
  const x = graph.input('x', 'float32', [1, 4, 8, 8]);
  const w = graph.constant('float32', [8, 2, 3, 3], ramp(144, 0.3));
  const b = graph.constant('float32', [8], ramp(8, 0.1, 1));
  const padded = g.pad(x, [0, 0, 1, 1], [0, 0, 1, 1], 'reflect');
  const h = g.tanh(g.conv2d(padded, w, b, { stride: 2, groups: 2 }));
  const flipped = g.flip(g.slice(h, [2], [1], [4]), [3]);
  const both = g.concat([g.slice(h, [2], [0], [3]), flipped], 1);
  const flat = g.reshape(both, [16, 12]);
  const mixed = g.matmul(flat, g.transposeLast(flat));
  const centred = g.sub(mixed, g.reduceMean(mixed, [1], true));
  const y = graph.output(g.div(centred, g.sqrt(g.add(g.reduceMean(g.mul(centred, centred), [1], true), g.scalar(centred, 1e-3)))), 'y');
  const cot = graph.input('cotangent', 'float32', y.shape);
  graph.output(g.grad([y], [x], [cot])[0]!, 'dx');
  return {
    model: g.serialize(g.optimize(graph)),
    feeds: { x: { dims: [1, 4, 8, 8], data: Array.from(ramp(256, 1, 0.2)) }, cotangent: { dims: [16, 16], data: Array.from(ramp(256, 1, 0.7)) } },
  };
}
