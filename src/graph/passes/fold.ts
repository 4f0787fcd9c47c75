import type { GraphData, Initializer } from '../graph';
import { size } from '../tensor';
import { EVALUATORS } from './evaluate';

/** Constants above this many elements are weights: a second, folded copy of one would grow the file. */
const WEIGHT_ELEMENTS = 1 << 14;

/**
 * Computes at build time every node whose inputs are all constants and whose op we can evaluate
 * (weight transposes, reshapes, scalings), replacing it by a constant. So that files never grow, a
 * node is left to run (for the runtime to fold at load) when its result would be larger than its
 * largest input (a broadcast), or when it reads a weight that other nodes read too: a gradient
 * graph uses a weight both as it is and transposed, and folding would store it twice.
 */
export function foldConstants(graph: GraphData): GraphData {
  const constants = new Map(graph.initializers.map((i) => [i.name, i]));
  const readers = new Map<string, number>();
  for (const node of graph.nodes) for (const name of new Set(node.inputs)) readers.set(name, (readers.get(name) ?? 0) + 1);
  const shared = (i: Initializer) => size(i.shape) > WEIGHT_ELEMENTS && (readers.get(i.name) ?? 0) > 1;
  const added: Initializer[] = [];
  const outputs = new Set(graph.outputs.map((t) => t.name));
  const nodes = graph.nodes.filter((node) => {
    const evaluate = EVALUATORS[node.opType];
    const inputs = node.inputs.map((n) => constants.get(n));
    const type = node.outputTypes[0]!;
    if (!evaluate || outputs.has(node.outputs[0]!) || inputs.some((i) => !i)) return true;
    if (size(type.shape) > Math.max(...inputs.map((i) => size(i!.shape))) || inputs.some((i) => shared(i!))) return true;
    const data = evaluate(inputs as Initializer[], node);
    if (!data) return true;
    const folded = { name: node.outputs[0]!, dtype: type.dtype, shape: type.shape, data } as Initializer;
    constants.set(folded.name, folded);
    added.push(folded);
    return false;
  });
  return { ...graph, nodes, initializers: [...graph.initializers, ...added] };
}
