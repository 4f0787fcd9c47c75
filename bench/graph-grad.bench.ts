import * as g from '../src/graph';
import { hostTensor, type Runtime } from '../src/runtime';
import { createRng } from '../src/sampling/rng';
import { countFlops, gflopsFigure } from './flops';
import type { Benchmark, Figure } from './run';

const RUNS = 5;

type Block = { name: string; inputShape: number[]; build: (x: g.Tensor) => g.Tensor };

const weights = (graph: g.Graph, rng: ReturnType<typeof createRng>, shape: number[], scale: number) =>
  graph.constant('float32', shape, rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1))).map((v) => v * scale));

/** CLIP ViT-B/16's residual block: width 768, 12 heads, 197 tokens, pre-LN, quick-GELU MLP ×4. */
function transformerBlock(x: g.Tensor): g.Tensor {
  const graph = x.graph;
  const rng = createRng(1);
  const [width, heads] = [768, 12];
  const w = (shape: number[]) => weights(graph, rng, shape, 1 / Math.sqrt(shape[shape.length - 1]!));
  const ones = graph.constant('float32', [width], new Float32Array(width).fill(1));
  const zeros = graph.constant('float32', [width], new Float32Array(width));
  const h = g.layerNorm(x, ones, zeros);
  const [q, k, v] = [0, 1, 2].map(() => g.splitHeads(g.linear(h, w([width, width]), zeros), heads));
  const attended = g.linear(g.mergeHeads(g.attention(q!, k!, v!)), w([width, width]), zeros);
  const x1 = g.add(x, attended);
  const hidden = g.quickGelu(g.linear(g.layerNorm(x1, ones, zeros), w([4 * width, width])));
  return g.add(x1, g.linear(hidden, w([width, 4 * width])));
}

/** guided-diffusion's ResBlock at 256 channels, 32×32: GN→SiLU→conv3×3, twice, plus the skip. */
function convBlock(x: g.Tensor): g.Tensor {
  const graph = x.graph;
  const rng = createRng(2);
  const c = 256;
  const ones = graph.constant('float32', [c], new Float32Array(c).fill(1));
  const zeros = graph.constant('float32', [c], new Float32Array(c));
  const conv = (t: g.Tensor) => g.conv2d(t, weights(graph, rng, [c, c, 3, 3], 1 / Math.sqrt(9 * c)), zeros, { padding: 1 });
  const h = conv(g.silu(g.groupNorm(x, 32, ones, zeros)));
  return g.add(x, conv(g.silu(g.groupNorm(h, 32, ones, zeros))));
}

const BLOCKS: Block[] = [
  { name: 'transformer', inputShape: [2, 197, 768], build: transformerBlock },
  { name: 'conv_groupnorm', inputShape: [1, 256, 32, 32], build: convBlock },
];

function build(block: Block, withGrad: boolean): { model: Uint8Array; nodes: number; flops: number } {
  const graph = new g.Graph(block.name);
  const x = graph.input('x', 'float32', block.inputShape);
  const y = graph.output(block.build(x), 'y');
  if (withGrad) graph.output(g.grad([y], [x], [graph.input('cotangent', 'float32', y.shape)])[0]!, 'dx');
  const optimized = g.optimize(graph);
  return { model: g.serialize(optimized), nodes: optimized.nodes.length, flops: countFlops(optimized) };
}

async function medianRunMs(runtime: Runtime, model: Uint8Array, shape: number[], withGrad: boolean): Promise<number> {
  const session = await runtime.createSession(model);
  const data = createRng(3).fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1)));
  const feeds = { x: hostTensor('float32', shape, data), ...(withGrad ? { cotangent: hostTensor('float32', shape, data) } : {}) };
  await session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
  }
  await session.dispose();
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
}

const bench: Benchmark = {
  description: 'exported gradient graphs: (forward + input gradient) time over forward time, in Node (native onnxruntime or --backend wasm)',
  async run(_args, context) {
    const runtime = context.runtime();
    const figures: Record<string, Figure> = {};
    for (const block of BLOCKS) {
      const fwd = build(block, false);
      const both = build(block, true);
      const fwdMs = await medianRunMs(runtime, fwd.model, block.inputShape, false);
      const bothMs = await medianRunMs(runtime, both.model, block.inputShape, true);
      const ratio = +(bothMs / fwdMs).toFixed(2);
      figures[`${block.name}_forward`] = { value: +fwdMs.toFixed(1), unit: 'ms' };
      figures[`${block.name}_forward_and_grad`] = { value: +bothMs.toFixed(1), unit: 'ms' };
      figures[`${block.name}_ratio`] = { value: ratio, unit: '×', target: '<= 2.5', pass: ratio <= 2.5 };
      figures[`${block.name}_gflops_forward`] = gflopsFigure(fwd.flops, fwdMs);
      figures[`${block.name}_gflops_forward_and_grad`] = gflopsFigure(both.flops, bothMs);
      figures[`${block.name}_nodes_forward`] = { value: fwd.nodes, unit: 'nodes' };
      figures[`${block.name}_nodes_forward_and_grad`] = { value: both.nodes, unit: 'nodes' };
    }
    return { figures, notes: [`median of ${RUNS} runs after one warm-up; input gradients only; FLOPs count Conv, ConvTranspose and MatMul only`] };
  },
};

export default bench;
