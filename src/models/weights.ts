import { readTensorFloat32, type Tensor as StoredTensor } from '../checkpoint/index';
import { CheckpointError } from '../errors';
import { formatShape, sameShape, size, type Graph, type Tensor } from '../graph';
import { createRng } from '../sampling/rng';

/**
 * Where a model builder gets its parameters. The builder names each one by its `state_dict` key and
 * the shape the configuration implies; `as` views the stored values in another shape of the same
 * size (a Conv1d weight [O, I, 1] used as a 1×1 Conv2d [O, I, 1, 1]).
 */
export interface WeightSource {
  param(graph: Graph, name: string, shape: readonly number[], as?: readonly number[]): Tensor;
}


/** Float32 parameters held in memory (read from a checkpoint, or generated), checked against what the builder asks for. */
export class ArrayWeights implements WeightSource {
  private readonly used = new Set<string>();

  /** `label` names the origin (a file) in messages. */
  constructor(private readonly arrays: ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>, private readonly label: string) {}

  param(graph: Graph, name: string, shape: readonly number[], as: readonly number[] = shape): Tensor {
    const stored = this.arrays.get(name);
    if (!stored) throw new CheckpointError(`${this.label}: tensor ${name} ${formatShape(shape)} is missing`);
    if (!sameShape(stored.shape, shape)) {
      throw new CheckpointError(`${this.label}: tensor ${name} has shape ${formatShape(stored.shape)} but the configuration needs ${formatShape(shape)}`);
    }
    this.used.add(name);
    return graph.constant('float32', as, stored.data, name);
  }

  /** Tensors no builder asked for, in storage order. */
  unused(): string[] {
    return [...this.arrays.keys()].filter((name) => !this.used.has(name));
  }
}

/**
 * Parameters as graph inputs, no data: building a model with these lists the `state_dict` it needs
 * (name → shape, in build order) and checks the configuration's shapes, for the cost of the graph alone.
 */
export class PlaceholderWeights implements WeightSource {
  readonly shapes = new Map<string, readonly number[]>();

  param(graph: Graph, name: string, shape: readonly number[], as: readonly number[] = shape): Tensor {
    this.shapes.set(name, [...shape]);
    return graph.input(name, 'float32', as);
  }
}

/** Seeded N(0, std²) parameters with std = 1/√fan-in (the last axes after the first), for benchmarks and tests without a checkpoint. */
export class SeededWeights implements WeightSource {
  private readonly rng;

  constructor(seed: number) {
    this.rng = createRng(seed);
  }

  param(graph: Graph, name: string, shape: readonly number[], as: readonly number[] = shape): Tensor {
    const fanIn = shape.length > 1 ? size(shape.slice(1)) : 1;
    const std = 1 / Math.sqrt(fanIn);
    const data = this.rng.fillNormal(new Float32Array(size(shape)));
    for (let i = 0; i < data.length; i++) data[i]! *= std;
    return graph.constant('float32', as, data, name);
  }
}

/**
 * Compares a checkpoint's tensors with the shapes a configuration needs. Throws a CheckpointError that
 * names the first tensor (in the configuration's order) that is missing or has another shape, with
 * both shapes, and then any tensor the configuration does not use.
 */
export function checkStateDict(expected: ReadonlyMap<string, readonly number[]>, actual: ReadonlyMap<string, { readonly shape: readonly number[] }>, label: string): void {
  for (const [name, shape] of expected) {
    const got = actual.get(name);
    if (!got) throw new CheckpointError(`${label}: the configuration needs tensor ${name} ${formatShape(shape)}, which the checkpoint lacks`);
    if (!sameShape(got.shape, shape)) {
      throw new CheckpointError(`${label}: tensor ${name} is ${formatShape(got.shape)} in the checkpoint but ${formatShape(shape)} in the configuration`);
    }
  }
  const extra = [...actual.keys()].filter((name) => !expected.has(name));
  if (extra.length > 0) {
    const more = extra.length > 1 ? ` (and ${extra.length - 1} more)` : '';
    throw new CheckpointError(`${label}: the checkpoint has tensor ${extra[0]} ${formatShape(actual.get(extra[0]!)!.shape)}, which the configuration does not use${more}`);
  }
}

/** Checks the state dict against `expected` (see checkStateDict), then reads exactly those tensors as float32. */
export async function readWeights(tensors: ReadonlyMap<string, StoredTensor>, expected: ReadonlyMap<string, readonly number[]>, label: string): Promise<ArrayWeights> {
  checkStateDict(expected, tensors, label);
  const arrays = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [name, shape] of expected) arrays.set(name, { shape, data: await readTensorFloat32(tensors.get(name)!) });
  return new ArrayWeights(arrays, label);
}
