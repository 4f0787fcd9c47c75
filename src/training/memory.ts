import { DTYPE_BYTES, optimize, size, type GraphData } from '../graph';
import type { UnetConfig } from '../models/unet/index';
import { buildTrainingGraph } from './loss-graph';

/**
 * What a fine-tuning run needs before it starts, so the studio can say so and refuse a run that
 * cannot fit rather than fail mid-way: the runtime's share (the parameters fed in, and the peak of
 * the values alive at once as the graph's nodes run in order, gradients included) and the host's
 * (parameters, summed gradients, AdamW's two moments and each EMA, float32).
 */
export interface TrainingMemory {
  readonly parameters: number;
  /** Bytes the runtime holds at its peak: inputs, then every value from its producer to its last use (outputs to the end). */
  readonly runtimePeak: number;
  /** The largest single value: one GPU buffer must hold it. */
  readonly largestValue: number;
  /** Bytes kept in JS between steps. */
  readonly host: number;
}

/** Peak bytes of values alive while a graph's nodes run in order, and the largest value. */
export function livePeak(g: GraphData): { peak: number; largest: number } {
  const bytes = new Map<string, number>();
  for (const t of g.inputs) bytes.set(t.name, size(t.shape) * DTYPE_BYTES[t.dtype]);
  for (const init of g.initializers) bytes.set(init.name, init.data.byteLength);
  for (const n of g.nodes) n.outputs.forEach((o, i) => bytes.set(o, size(n.outputTypes[i]!.shape) * DTYPE_BYTES[n.outputTypes[i]!.dtype]));
  // Feeds and constants stay for the whole run, outputs from their producer to the end.
  const held = new Set([...g.outputs, ...g.inputs].map((t) => t.name).concat(g.initializers.map((t) => t.name)));
  const lastUse = new Map<string, number>();
  g.nodes.forEach((n, i) => n.inputs.forEach((name) => lastUse.set(name, i)));
  let live = [...g.inputs.map((t) => t.name), ...g.initializers.map((t) => t.name)].reduce((s, name) => s + bytes.get(name)!, 0);
  let peak = live;
  g.nodes.forEach((n, i) => {
    live += n.outputs.reduce((s, o) => s + bytes.get(o)!, 0);
    peak = Math.max(peak, live);
    for (const name of new Set([...n.inputs, ...n.outputs])) if (name !== '' && !held.has(name) && (lastUse.get(name) ?? -1) <= i) live -= bytes.get(name)!;
  });
  return { peak, largest: Math.max(...bytes.values()) };
}

export function trainingMemory(config: UnetConfig, microbatch: number, emaCount: number, numTimesteps: number): TrainingMemory {
  const { graph, params } = buildTrainingGraph(config, { batch: microbatch, numTimesteps });
  const parameters = [...params.values()].reduce((s, shape) => s + size(shape), 0);
  const { peak, largest } = livePeak(optimize(graph));
  return { parameters, runtimePeak: peak, largestValue: largest, host: parameters * 4 * (4 + emaCount) };
}
