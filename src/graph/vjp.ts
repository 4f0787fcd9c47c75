import type { GraphNode } from './graph';
import type { Tensor } from './tensor';

/** What a gradient rule sees: the forward node's tensors and the cotangents of its outputs. */
export interface VjpContext {
  readonly node: GraphNode;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  /** The cotangent of each output; undefined where no gradient flows into it. */
  readonly dOutputs: readonly (Tensor | undefined)[];
}

/**
 * A vector-Jacobian product: one cotangent per input (null where none flows). A rule may return a
 * cotangent with the broadcast shape of an elementwise op; grad() sums it back to the input's shape.
 * Rules reuse the forward's tensors (inputs and outputs) rather than recomputing them.
 */
export type VjpRule = (ctx: VjpContext) => readonly (Tensor | null)[];

const RULES = new Map<string, VjpRule>();

/** Registers the gradient rule of an ONNX op; called beside the op's forward helper. */
export function defineVjp(opType: string, rule: VjpRule): void {
  if (RULES.has(opType)) throw new Error(`a gradient rule for ${opType} is already defined`);
  RULES.set(opType, rule);
}

export const vjpRule = (opType: string): VjpRule | undefined => RULES.get(opType);
