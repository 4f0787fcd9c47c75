import { ShapeError } from '../errors';
import type { Attributes } from './attributes';
import { type DType, type DTypeArray } from './dtype';
import { formatShape, size, type Tensor } from './tensor';

export interface ValueType {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export interface GraphNode {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** The dtype and static shape of each output, as the op helper inferred them. */
  readonly outputTypes: readonly ValueType[];
  readonly attributes: Attributes;
}

export interface Initializer<D extends DType = DType> {
  readonly name: string;
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: DTypeArray[D];
}

/** An initializer's data as the bytes it is stored as (little-endian, as typed arrays hold it here). */
export const bytesOf = (data: Initializer['data']): Uint8Array => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

export interface OutputSpec extends ValueType {
  /** A chosen value name; generated from the op type when absent. */
  readonly name?: string;
}

/** A graph's contents, as the optimisation passes and the serialiser see them. */
export interface GraphData {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly nodes: readonly GraphNode[];
  readonly initializers: readonly Initializer[];
  /** Input dims each run chooses (ONNX dim_param), by input name; the builder saw a placeholder size. */
  readonly symbolicDims?: Readonly<Record<string, readonly (string | null)[]>>;
}

/**
 * A graph under construction. Names are generated from a counter, so building the same network
 * twice gives the same graph (and the same ONNX bytes).
 */
export class Graph implements GraphData {
  readonly inputs: Tensor[] = [];
  readonly outputs: Tensor[] = [];
  readonly nodes: GraphNode[] = [];
  readonly initializers: Initializer[] = [];
  readonly symbolicDims: Record<string, readonly (string | null)[]> = {};
  private readonly byName = new Map<string, Tensor>();
  /** The node that computes each value: op helpers look one step back to rewrite patterns as they build. */
  private readonly producers = new Map<string, GraphNode>();
  /** Initializers by name: gradient rules read constant inputs (axes, pads, bounds) for every node. */
  private readonly constants = new Map<string, Initializer>();
  private counter = 0;

  constructor(readonly name: string) {}

  /**
   * A graph input. A dim given a name in `dimNames` is left to each run (an ONNX dim_param): `shape`
   * holds the largest size a run feeds, and only ops whose ONNX form bakes no size (elementwise ops,
   * gathers, scatters) may consume it.
   */
  input(name: string, dtype: DType, shape: readonly number[], dimNames?: readonly (string | null)[]): Tensor {
    const t = this.tensor(this.claim(name), dtype, shape);
    this.inputs.push(t);
    if (dimNames) {
      if (dimNames.length !== shape.length) throw new ShapeError(`input ${name}: ${dimNames.length} dim names for ${formatShape(shape)}`);
      this.symbolicDims[t.name] = [...dimNames];
    }
    return t;
  }

  /** A constant (an ONNX initializer): weights, or small tensors an op needs, such as a shape. */
  constant<D extends DType>(dtype: D, shape: readonly number[], data: DTypeArray[D], name?: string): Tensor {
    if (data.length !== size(shape)) {
      throw new ShapeError(`constant ${name ?? ''} has ${data.length} values but shape ${formatShape(shape)} needs ${size(shape)}`);
    }
    const t = this.tensor(name === undefined ? this.fresh('const') : this.claim(name), dtype, shape);
    const init = { name: t.name, dtype, shape: [...shape], data };
    this.initializers.push(init);
    this.constants.set(init.name, init);
    return t;
  }

  /** Appends one node; the op helper has already inferred and checked the output shapes. */
  node(opType: string, inputs: readonly Tensor[], outputs: readonly OutputSpec[], attributes: Attributes = {}): Tensor[] {
    for (const t of inputs) {
      if (t.graph !== this) throw new ShapeError(`${opType}: input ${t.name} belongs to another graph`);
    }
    const results = outputs.map((o) => this.tensor(o.name === undefined ? this.fresh(opType.toLowerCase()) : this.claim(o.name), o.dtype, o.shape));
    const outputTypes = results.map(({ dtype, shape }) => ({ dtype, shape }));
    const node = { opType, inputs: inputs.map((t) => t.name), outputs: results.map((t) => t.name), outputTypes, attributes };
    this.nodes.push(node);
    for (const t of results) this.producers.set(t.name, node);
    return results;
  }

  /** Marks a graph output; a new name adds an Identity node so the value can keep its own. */
  output(t: Tensor, name?: string): Tensor {
    const out = name === undefined || name === t.name ? t : this.node('Identity', [t], [{ dtype: t.dtype, shape: t.shape, name }])[0]!;
    this.outputs.push(out);
    return out;
  }

  /** The data of a constant (initializer), for ops whose attributes travel as constant inputs. */
  constantData(t: Tensor): Initializer['data'] {
    const init = this.constants.get(t.name);
    if (!init) throw new ShapeError(`${t.name} is not a constant of graph ${this.name}`);
    return init.data;
  }

  /** The node whose output `t` is (undefined for inputs and constants). */
  producer(t: Tensor): GraphNode | undefined {
    return this.producers.get(t.name);
  }

  isConstant(t: Tensor): boolean {
    return this.constants.has(t.name);
  }

  /** The tensor a value name refers to (inputs, constants and node outputs alike). */
  lookup(name: string): Tensor {
    const t = this.byName.get(name);
    if (!t) throw new ShapeError(`graph ${this.name} has no value named ${name}`);
    return t;
  }

  private tensor(name: string, dtype: DType, shape: readonly number[]): Tensor {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new ShapeError(`tensor ${name}: invalid shape ${formatShape(shape)}`);
    }
    const t = { graph: this, name, dtype, shape: [...shape] };
    this.byName.set(name, t);
    return t;
  }

  private fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.byName.has(name));
    return name;
  }

  private claim(name: string): string {
    if (this.byName.has(name)) throw new ShapeError(`the name ${name} is already used in graph ${this.name}`);
    return name;
  }
}
