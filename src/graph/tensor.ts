import type { DType } from './dtype';
import type { Graph } from './graph';

/**
 * A symbolic value in a graph under construction: a name, a dtype and a static shape. Ops take
 * tensors and return new ones; the graph they belong to records the nodes.
 */
export interface Tensor {
  readonly graph: Graph;
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

export const formatShape = (shape: readonly number[]): string => `[${shape.join(', ')}]`;
