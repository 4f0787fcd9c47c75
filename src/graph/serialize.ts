import { EngineError } from '../errors';
import type { Attribute } from './attributes';
import { ONNX_DTYPE, type DType } from './dtype';
import { bytesOf, type GraphData, type GraphNode, type Initializer, type ValueType } from './graph';
import { float32ToHalf } from './half';
import { ModelProto } from './onnx-proto';

/** Opset 17: the newest all of whose ops we use run on onnxruntime-web's WebGPU EP (LayerNormalization needs 17). */
export const OPSET = 17;
const IR_VERSION = 8;
/** protobuf messages cannot exceed 2 GiB; we stay well under it. */
const MAX_INLINE_BYTES = 2 ** 31 - 2 ** 24;
/** Constants smaller than this stay fp32 even when weights are stored as fp16: epsilons, scales, shapes. */
const MIN_HALF_ELEMENTS = 256;

// AttributeProto.AttributeType codes.
const ATTRIBUTE_TYPE = { f: 1, i: 2, s: 3, floats: 6, ints: 7 } as const;

function attribute(name: string, value: Attribute) {
  if ('f' in value) return { name, type: ATTRIBUTE_TYPE.f, f: value.f };
  if ('i' in value) return { name, type: ATTRIBUTE_TYPE.i, i: value.i };
  if ('s' in value) return { name, type: ATTRIBUTE_TYPE.s, s: new TextEncoder().encode(value.s) };
  if ('floats' in value) return { name, type: ATTRIBUTE_TYPE.floats, floats: value.floats };
  return { name, type: ATTRIBUTE_TYPE.ints, ints: value.ints };
}

const valueInfo = (name: string, t: ValueType, dimNames?: readonly (string | null)[]) => ({
  name,
  type: { tensorType: { elemType: ONNX_DTYPE[t.dtype as DType], shape: { dim: t.shape.map((d, i) => (dimNames?.[i] ? { dimParam: dimNames[i] } : { dimValue: d })) } } },
});


export interface SerializeOptions {
  readonly producerVersion?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  /** Storage of float32 weights; 'float16' halves the file and casts back to float32 at load, so all arithmetic stays fp32. */
  readonly weights?: 'float32' | 'float16';
  /** Write constants of at least `minBytes` to external files (needed past 2 GiB); see serializeWithExternalData. */
  readonly external?: { readonly prefix: string; readonly minBytes?: number; readonly maxFileBytes?: number };
}

export interface ExternalFile {
  readonly path: string;
  readonly data: Uint8Array;
}

/** float32 weights stored as float16, each followed by a Cast to float32 under the original name. */
function halveWeights(graph: GraphData): GraphData {
  const casts: GraphNode[] = [];
  const initializers = graph.initializers.map((init) => {
    if (init.dtype !== 'float32' || init.data.length < MIN_HALF_ELEMENTS) return init;
    const name = `${init.name}.fp16`;
    casts.push({ opType: 'Cast', inputs: [name], outputs: [init.name], outputTypes: [{ dtype: 'float32', shape: init.shape }], attributes: { to: { i: ONNX_DTYPE.float32 } } });
    return { name, dtype: 'float16', shape: init.shape, data: float32ToHalf(init.data as Float32Array) } as Initializer;
  });
  return { ...graph, initializers, nodes: [...casts, ...graph.nodes] };
}

/** Packs large constants into files of at most maxFileBytes, 64-byte aligned, in graph order. */
function externalise(initializers: readonly Initializer[], external: NonNullable<SerializeOptions['external']>) {
  const { prefix, minBytes = 1024, maxFileBytes = 2 ** 30 } = external;
  const groups: { path: string; parts: Uint8Array[]; length: number }[] = [];
  const placed = initializers.map((init) => {
    const bytes = bytesOf(init.data);
    if (bytes.length < minBytes) return { init, bytes };
    let file = groups[groups.length - 1];
    if (!file || (file.length > 0 && file.length + bytes.length > maxFileBytes)) groups.push((file = { path: `${prefix}.${groups.length}`, parts: [], length: 0 }));
    const offset = file.length;
    const padded = Math.ceil(bytes.length / 64) * 64;
    file.parts.push(bytes, new Uint8Array(padded - bytes.length));
    file.length += padded;
    return { init, bytes, location: { path: file.path, offset, length: bytes.length } };
  });
  const files = groups.map((g) => {
    const data = new Uint8Array(g.length);
    let at = 0;
    for (const p of g.parts) {
      data.set(p, at);
      at += p.length;
    }
    return { path: g.path, data };
  });
  return { placed, files };
}

type Placed = ReturnType<typeof externalise>['placed'][number];

function tensorProto({ init, bytes, location }: Placed) {
  const base = { name: init.name, dims: init.shape, dataType: ONNX_DTYPE[init.dtype] };
  if (!location) return { ...base, rawData: bytes };
  const entries = { location: location.path, offset: String(location.offset), length: String(location.length) };
  return { ...base, dataLocation: 1, externalData: Object.entries(entries).map(([key, value]) => ({ key, value })) };
}

function encode(graph: GraphData, options: SerializeOptions, placed: readonly Placed[]): Uint8Array {
  const model = ModelProto.fromObject({
    irVersion: IR_VERSION,
    producerName: 'clip-diffusion-web',
    producerVersion: options.producerVersion ?? '0',
    opsetImport: [{ domain: '', version: OPSET }],
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: graph.name,
      node: graph.nodes.map((n, i) => ({
        name: `${n.opType}_${i}`,
        opType: n.opType,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes).map(([name, value]) => attribute(name, value)),
      })),
      initializer: placed.map(tensorProto),
      input: graph.inputs.map((t) => valueInfo(t.name, t, graph.symbolicDims?.[t.name])),
      output: graph.outputs.map((t) => valueInfo(t.name, t)),
    },
  });
  return ModelProto.encode(model).finish();
}

/**
 * Encodes a graph as an ONNX ModelProto plus, with `external`, the files holding its large
 * constants. The same graph and options always give the same bytes.
 */
export function serializeWithExternalData(graph: GraphData, options: SerializeOptions = {}): { model: Uint8Array; files: ExternalFile[] } {
  const stored = options.weights === 'float16' ? halveWeights(graph) : graph;
  const { placed, files } = options.external ? externalise(stored.initializers, options.external) : { placed: stored.initializers.map((init) => ({ init, bytes: bytesOf(init.data) })), files: [] };
  const inline = placed.reduce((n, p) => n + ('location' in p && p.location ? 0 : p.bytes.length), 0);
  if (inline > MAX_INLINE_BYTES) {
    throw new EngineError(`the model's ${inline} bytes of constants exceed what one ONNX file can hold: serialise with external data`);
  }
  return { model: encode(stored, options, placed), files };
}

/** A self-contained ONNX file (no external data). */
export function serialize(graph: GraphData, options: Omit<SerializeOptions, 'external'> = {}): Uint8Array {
  return serializeWithExternalData(graph, options).model;
}
