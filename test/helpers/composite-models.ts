import * as g from '../../src/graph';
import { ramp } from './reference';

export interface CompositeModel {
  readonly model: Uint8Array;
  readonly feeds: Record<string, { dims: number[]; data: number[] }>;
}

function withGradient(graph: g.Graph, x: g.Tensor, y: g.Tensor, xData: Float32Array): CompositeModel {
  graph.output(y, 'y');
  const cot = graph.input('cotangent', 'float32', y.shape);
  graph.output(g.grad([y], [x], [cot])[0]!, 'dx');
  const n = y.shape.reduce((a, b) => a * b, 1);
  return {
    model: g.serialize(g.optimize(graph)),
    feeds: { x: { dims: [...x.shape], data: Array.from(xData) }, cotangent: { dims: [...y.shape], data: Array.from(ramp(n, 1, 0.7)) } },
  };
}

/**
 * A small network touching many ops (conv with stride and groups, padded stride-1 convs with 4 and
 * 6 output channels (their input gradients: a conv with the rotated kernel, a ConvTranspose), split,
 * reflect padding, flips, concat,
 * matmul, reductions, elementwise math) with its gradient with respect to the image appended:
 * outputs `y` and `dx`. Used to compare execution providers on the same exported gradient graph.
 */
export function buildGradComposite(): CompositeModel {
  const graph = new g.Graph('grad-composite');
  const x = graph.input('x', 'float32', [1, 4, 8, 8]);
  const w = graph.constant('float32', [8, 2, 3, 3], ramp(144, 0.3));
  const b = graph.constant('float32', [8], ramp(8, 0.1, 1));
  const padded = g.pad(x, [0, 0, 1, 1], [0, 0, 1, 1], 'reflect');
  const strided = g.tanh(g.conv2d(padded, w, b, { stride: 2, groups: 2 }));
  const [first, second] = g.split(strided, 1, 2);
  const same = (input: g.Tensor, out: number, phase: number) => g.conv2d(input, graph.constant('float32', [out, 4, 3, 3], ramp(out * 36, 0.2, phase)), undefined, { padding: 1 });
  const h = g.concat([same(first!, 4, 3), same(g.mul(second!, second!), 6, 4)], 1);
  const flipped = g.flip(g.slice(h, [2], [1], [4]), [3]);
  const both = g.concat([g.slice(h, [2], [0], [3]), flipped], 1);
  const flat = g.reshape(both, [20, 12]);
  const mixed = g.matmul(flat, g.transposeLast(flat));
  const centred = g.sub(mixed, g.reduceMean(mixed, [1], true));
  const y = g.div(centred, g.sqrt(g.add(g.reduceMean(g.mul(centred, centred), [1], true), g.scalar(centred, 1e-3))));
  return withGradient(graph, x, y, ramp(256, 1, 0.2));
}

/**
 * The model-building ops of the UNet, CLIP, SwinIR and the cutouts in one graph: group norm + SiLU,
 * nearest upsampling and average pooling, layer norm + multi-head attention with a gathered bias,
 * a bilinear and a nearest grid-sample warp, a roll, and the cutouts' tap gather (whole pixel rows
 * picked by int32 indices, some twice, so the gradient's ScatterND adds).
 */
export function buildModelOpsComposite(): CompositeModel {
  const graph = new g.Graph('model-ops');
  const x = graph.input('x', 'float32', [1, 8, 4, 4]);
  const c = (n: number, phase: number) => graph.constant('float32', [n], ramp(n, 0.5, phase));
  const h = g.silu(g.groupNorm(x, 2, c(8, 1), c(8, 2)));
  const pooled = g.avgPool2d(g.upsampleNearest(h, 2), 2);
  const tokens = g.layerNorm(g.transpose(g.reshape(pooled, [1, 8, 16]), [0, 2, 1]), c(8, 3), c(8, 4));
  const heads = g.splitHeads(tokens, 2);
  const table = graph.constant('float32', [7, 2], ramp(14, 0.3, 5));
  const index = graph.constant('int64', [16, 16], BigInt64Array.from({ length: 256 }, (_, i) => BigInt(((i % 16) - Math.floor(i / 16) + 21) % 7)));
  const bias = g.transpose(g.gather(table, index, 0), [2, 0, 1]);
  const attended = g.mergeHeads(g.attention(heads, heads, heads, { mask: g.reshape(bias, [1, 2, 16, 16]) }));
  const image = g.reshape(g.transpose(g.roll(attended, 3, 1), [0, 2, 1]), [1, 8, 4, 4]);
  const theta = (a: number) => [Math.cos(a), -Math.sin(a), 0.1, Math.sin(a), Math.cos(a), -0.05];
  const grid = (a: number) => graph.constant('float32', [1, 3, 3, 2], Float32Array.from({ length: 18 }, (_, i) => {
    const [px, py] = [((Math.floor(i / 2) % 3) - 1) * 0.61, (Math.floor(i / 6) - 1) * 0.57];
    const t = theta(a);
    return i % 2 === 0 ? t[0]! * px + t[1]! * py + t[2]! : t[3]! * px + t[4]! * py + t[5]!;
  }));
  const warped = g.add(g.gridSample(image, grid(0.2)), g.gridSample(image, grid(-0.3), { mode: 'nearest' }));
  const taps = g.gather(g.transpose(g.reshape(image, [8, 16]), [1, 0]), graph.constant('int32', [9], Int32Array.of(3, 15, 3, 0, 7, 7, 7, 12, 1)), 0);
  const tapped = g.add(warped, g.reshape(g.transpose(taps, [1, 0]), [1, 8, 3, 3]));
  return withGradient(graph, x, tapped, ramp(128, 1, 0.2));
}
