import type { GraphData } from '../graph';

/** Drops nodes no output depends on, and the constants only they used. Graph inputs stay: they are the interface. */
export function eliminateDeadNodes(graph: GraphData): GraphData {
  const live = new Set(graph.outputs.map((t) => t.name));
  const nodes = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (!node.outputs.some((o) => live.has(o))) continue;
    node.inputs.forEach((name) => live.add(name));
    nodes.push(node);
  }
  return { ...graph, nodes: nodes.reverse(), initializers: graph.initializers.filter((i) => live.has(i.name)) };
}
