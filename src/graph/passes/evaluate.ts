import { type DType, type DTypeArray } from '../dtype';
import type { GraphNode, Initializer } from '../graph';
import { size } from '../tensor';

type Data = DTypeArray[DType];
type Evaluator = (inputs: readonly Initializer[], node: GraphNode) => Data | undefined;

const stridesOf = (shape: readonly number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));

/** For each element of `out`, the index of the element of `shape` it reads under numpy broadcasting. */
function broadcastIndex(out: readonly number[], shape: readonly number[]): Int32Array {
  const lead = out.length - shape.length;
  const inStrides = stridesOf(shape);
  const outStrides = stridesOf(out);
  const index = new Int32Array(size(out));
  for (let i = 0; i < index.length; i++) {
    let src = 0;
    for (let a = lead; a < out.length; a++) {
      const coord = Math.floor(i / outStrides[a]!) % out[a]!;
      if (shape[a - lead] !== 1) src += coord * inStrides[a - lead]!;
    }
    index[i] = src;
  }
  return index;
}

const isFloatData = (d: Data): d is Float32Array | Float64Array => d instanceof Float32Array || d instanceof Float64Array;

function elementwise(fn: (a: number, b: number) => number): Evaluator {
  return ([a, b], node) => {
    const out = node.outputTypes[0]!.shape;
    if (!isFloatData(a!.data) || !isFloatData(b!.data)) return undefined;
    const [ia, ib] = [broadcastIndex(out, a!.shape), broadcastIndex(out, b!.shape)];
    const result = new (a!.data.constructor as Float32ArrayConstructor)(size(out));
    for (let i = 0; i < result.length; i++) result[i] = fn(a!.data[ia[i]!]!, b!.data[ib[i]!]!);
    return result;
  };
}

function unaryFloat(fn: (a: number) => number): Evaluator {
  return ([a]) => (isFloatData(a!.data) ? a!.data.map(fn) : undefined);
}

const transposeData: Evaluator = ([x], node) => {
  const perm = (node.attributes.perm as { ints: readonly number[] }).ints;
  const inStrides = stridesOf(x!.shape);
  const out = node.outputTypes[0]!.shape;
  const outStrides = stridesOf(out);
  const result = new (x!.data.constructor as Float64ArrayConstructor)(x!.data.length) as Data;
  for (let i = 0; i < result.length; i++) {
    let src = 0;
    for (let a = 0; a < out.length; a++) src += (Math.floor(i / outStrides[a]!) % out[a]!) * inStrides[perm[a]!]!;
    (result as Float64Array)[i] = (x!.data as Float64Array)[src]!;
  }
  return result;
};

/** Ops folded at build time when all their inputs are constants: the shape and arithmetic glue around weights. */
export const EVALUATORS: Readonly<Record<string, Evaluator>> = {
  Identity: ([x]) => x!.data,
  Reshape: ([x]) => x!.data,
  Transpose: transposeData,
  Add: elementwise((a, b) => a + b),
  Sub: elementwise((a, b) => a - b),
  Mul: elementwise((a, b) => a * b),
  Div: elementwise((a, b) => a / b),
  Neg: unaryFloat((a) => -a),
  Sqrt: unaryFloat(Math.sqrt),
  Reciprocal: unaryFloat((a) => 1 / a),
};
