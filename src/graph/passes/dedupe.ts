import { bytesOf, type GraphData, type GraphNode, type Initializer } from '../graph';

/** Constants above this many bytes are weights, never duplicated in practice: not worth hashing. */
const MAX_HASHED_BYTES = 1 << 16;


function constantKey(init: Initializer): string | undefined {
  const bytes = bytesOf(init.data);
  if (bytes.length > MAX_HASHED_BYTES) return undefined;
  return `${init.dtype}|${init.shape.join(',')}|${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

const nodeKey = (node: GraphNode) => `${node.opType}|${node.inputs.join(',')}|${JSON.stringify(node.attributes)}`;

/**
 * Merges identical constants and identical nodes (same op, same inputs, same attributes). A node that
 * produces a graph output is kept, so outputs keep their names.
 */
export function deduplicate(graph: GraphData): GraphData {
  const alias = new Map<string, string>();
  const seenConstants = new Map<string, string>();
  const initializers = graph.initializers.filter((init) => {
    const key = constantKey(init);
    const first = key === undefined ? undefined : seenConstants.get(key);
    if (first !== undefined) alias.set(init.name, first);
    else if (key !== undefined) seenConstants.set(key, init.name);
    return first === undefined;
  });
  const outputs = new Set(graph.outputs.map((t) => t.name));
  const seenNodes = new Map<string, GraphNode>();
  const nodes: GraphNode[] = [];
  for (const original of graph.nodes) {
    const node = { ...original, inputs: original.inputs.map((i) => alias.get(i) ?? i) };
    const first = seenNodes.get(nodeKey(node));
    if (first && !node.outputs.some((o) => outputs.has(o))) {
      node.outputs.forEach((o, i) => alias.set(o, first.outputs[i]!));
      continue;
    }
    seenNodes.set(nodeKey(node), node);
    nodes.push(node);
  }
  return { ...graph, nodes, initializers };
}
