import { ShapeError, UnsupportedOpError } from '../errors';
import { isFloat } from './dtype';
import type { Graph, GraphNode } from './graph';
import { reduceSum, sum } from './ops/reduce';
import { reshape, zeros } from './ops/shape';
import { formatShape, type Tensor } from './tensor';
import { vjpRule } from './vjp';

/** The nodes on a path from some `wrt` value to some output: the only ones that need a gradient. */
function activeNodes(graph: Graph, outputs: readonly Tensor[], wrt: readonly Tensor[]): GraphNode[] {
  const reached = new Set(wrt.map((t) => t.name));
  const forward = graph.nodes.filter((n) => {
    if (!n.inputs.some((i) => reached.has(i))) return false;
    n.outputs.forEach((o) => reached.add(o));
    return true;
  });
  const needed = new Set(outputs.map((t) => t.name));
  const active: GraphNode[] = [];
  for (let i = forward.length - 1; i >= 0; i--) {
    const n = forward[i]!;
    if (!n.outputs.some((o) => needed.has(o))) continue;
    n.inputs.forEach((name) => needed.add(name));
    active.push(n);
  }
  return active.reverse();
}

/** Sums a cotangent over the axes its forward input was broadcast along (numpy rules). */
export function unbroadcast(d: Tensor, shape: readonly number[]): Tensor {
  if (d.shape.length === shape.length && d.shape.every((v, i) => v === shape[i])) return d;
  const lead = d.shape.length - shape.length;
  const axes = d.shape.map((_, i) => i).filter((i) => i < lead || (shape[i - lead] === 1 && d.shape[i] !== 1));
  if (lead < 0 || shape.some((v, i) => v !== 1 && v !== d.shape[i + lead])) {
    throw new ShapeError(`gradient of shape ${formatShape(d.shape)} cannot be summed to ${formatShape(shape)}`);
  }
  return reshape(reduceSum(d, axes, true), shape);
}

function applyRule(node: GraphNode, graph: Graph, dOutputs: (Tensor | undefined)[]): readonly (Tensor | null)[] {
  const inputs = node.inputs.map((n) => graph.lookup(n));
  const rule = vjpRule(node.opType);
  if (!rule) {
    const shapes = inputs.map((t) => formatShape(t.shape)).join(', ');
    throw new UnsupportedOpError(`no gradient rule for ${node.opType} (inputs ${shapes}) on the path to the requested gradient`);
  }
  const dInputs = rule({ node, inputs, outputs: node.outputs.map((n) => graph.lookup(n)), dOutputs });
  if (dInputs.length !== inputs.length) throw new Error(`gradient rule for ${node.opType} returned ${dInputs.length} cotangents for ${inputs.length} inputs`);
  return dInputs;
}

/**
 * Reverse mode: appends to the graph the vector-Jacobian product of `outputs` (with the given
 * cotangents) with respect to each `wrt` tensor, and returns those gradients. Only nodes on a path
 * from `wrt` to `outputs` are differentiated; fan-in is summed with one Sum node per value. `wrt`
 * may name graph inputs or constants (weights, for fine-tuning).
 */
export function grad(outputs: readonly Tensor[], wrt: readonly Tensor[], cotangents: readonly Tensor[]): Tensor[] {
  const graph = outputs[0]?.graph;
  if (!graph || outputs.length !== cotangents.length) throw new ShapeError('grad needs one cotangent per output');
  const pending = new Map<string, Tensor[]>();
  const add = (name: string, d: Tensor) => pending.set(name, [...(pending.get(name) ?? []), d]);
  const total = (name: string): Tensor | undefined => {
    const parts = pending.get(name);
    if (!parts || parts.length === 1) return parts?.[0];
    const summed = sum(parts);
    pending.set(name, [summed]);
    return summed;
  };
  outputs.forEach((y, i) => {
    const d = cotangents[i]!;
    if (formatShape(d.shape) !== formatShape(y.shape)) throw new ShapeError(`cotangent ${formatShape(d.shape)} does not fit output ${y.name} ${formatShape(y.shape)}`);
    add(y.name, d);
  });
  const nodes = activeNodes(graph, outputs, wrt);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k]!;
    const dOutputs = node.outputs.map(total);
    if (dOutputs.every((d) => d === undefined)) continue;
    applyRule(node, graph, dOutputs).forEach((d, i) => {
      const input = graph.lookup(node.inputs[i]!);
      if (d && isFloat(input.dtype)) add(input.name, unbroadcast(d, input.shape));
    });
  }
  // A value no output depends on gets a zero cotangent.
  return wrt.map((w) => total(w.name) ?? zeros(w, w.shape));
}
