import type { GraphData, Initializer } from '../graph';
import { size } from '../tensor';
import { EVALUATORS } from './evaluate';

/**
 * Computes at build time every node whose inputs are all constants and whose op we can evaluate
 * (weight transposes, reshapes, scalings), replacing it by a constant. A node whose result would be
 * larger than its largest input (a broadcast) is left to run, so files never grow.
 */
export function foldConstants(graph: GraphData): GraphData {
  const constants = new Map(graph.initializers.map((i) => [i.name, i]));
  const added: Initializer[] = [];
  const outputs = new Set(graph.outputs.map((t) => t.name));
  const nodes = graph.nodes.filter((node) => {
    const evaluate = EVALUATORS[node.opType];
    const inputs = node.inputs.map((n) => constants.get(n));
    const type = node.outputTypes[0]!;
    if (!evaluate || outputs.has(node.outputs[0]!) || inputs.some((i) => !i)) return true;
    if (size(type.shape) > Math.max(...inputs.map((i) => size(i!.shape)))) return true;
    const data = evaluate(inputs as Initializer[], node);
    if (!data) return true;
    const folded = { name: node.outputs[0]!, dtype: type.dtype, shape: type.shape, data } as Initializer;
    constants.set(folded.name, folded);
    added.push(folded);
    return false;
  });
  return { ...graph, nodes, initializers: [...graph.initializers, ...added] };
}
