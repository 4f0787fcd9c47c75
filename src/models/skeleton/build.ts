import { add, conv2d, Graph, serialize, tanh, type Tensor } from '../../graph';
import { createRng } from '../../sampling/rng';

/** The walking skeleton's network: not art, just a real ONNX graph of our builder's making. */
export const SKELETON = { size: 64, channels: 3, hidden: 16, weightSeed: 20261126 } as const;

function seededConv(g: Graph, rng: ReturnType<typeof createRng>, out: number, inp: number, name: string): [Tensor, Tensor] {
  const fanIn = inp * 9;
  const w = rng.fillNormal(new Float32Array(out * fanIn)).map((v) => v / Math.sqrt(fanIn));
  const b = rng.fillNormal(new Float32Array(out)).map((v) => 0.1 * v);
  return [g.constant('float32', [out, inp, 3, 3], w, `${name}.weight`), g.constant('float32', [out], b, `${name}.bias`)];
}

/**
 * One refinement step x' = tanh(x + conv2(tanh(conv1(x) + cond))): a 3×3 conv lifts the image to
 * `hidden` channels, the prompt's conditioning vector shifts them, a second conv maps back.
 */
export function buildSkeletonGraph(): Graph {
  const { size, channels, hidden, weightSeed } = SKELETON;
  const rng = createRng(weightSeed);
  const g = new Graph('skeleton');
  const x = g.input('x', 'float32', [1, channels, size, size]);
  const cond = g.input('cond', 'float32', [1, hidden, 1, 1]);
  const [w1, b1] = seededConv(g, rng, hidden, channels, 'conv1');
  const [w2, b2] = seededConv(g, rng, channels, hidden, 'conv2');
  const h = tanh(add(conv2d(x, w1, b1, { padding: 1 }), cond));
  g.output(tanh(add(x, conv2d(h, w2, b2, { padding: 1 }))), 'y');
  return g;
}

export const buildSkeletonModel = (): Uint8Array => serialize(buildSkeletonGraph());
