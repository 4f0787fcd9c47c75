import * as g from '../src/graph';

/** Multiply-adds ×2 of the Conv, ConvTranspose and MatMul nodes of a graph (everything else is memory-bound noise). */
export function countFlops(graph: g.GraphData): number {
  const shapes = new Map<string, readonly number[]>();
  for (const t of graph.inputs) shapes.set(t.name, t.shape);
  for (const i of graph.initializers) shapes.set(i.name, i.shape);
  for (const n of graph.nodes) n.outputs.forEach((o, k) => shapes.set(o, n.outputTypes[k]!.shape));
  let flops = 0;
  for (const n of graph.nodes) {
    const [a, b] = n.inputs.map((name) => shapes.get(name)!);
    const out = n.outputTypes[0]!.shape;
    if (n.opType === 'Conv') flops += 2 * g.size(out) * g.size(b!.slice(1));
    else if (n.opType === 'ConvTranspose') flops += 2 * g.size(a!) * g.size(b!.slice(1));
    else if (n.opType === 'MatMul') flops += 2 * g.size(out) * a![a!.length - 1]!;
  }
  return flops;
}

export const GFLOPS = 'GFLOP/s';

/** A rate figure; bench/run.ts reports every GFLOP/s figure also as a fraction of the MatMul probe's rate. */
export const gflopsFigure = (flops: number, ms: number) => ({ value: +(flops / 1e6 / ms).toFixed(2), unit: GFLOPS });
