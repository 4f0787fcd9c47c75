import type { Attribute } from './attributes';
import { ONNX_DTYPE, type DType } from './dtype';
import type { Graph, Initializer } from './graph';
import { ModelProto } from './onnx-proto';
import type { Tensor } from './tensor';

/** Opset 17: the newest all of whose ops we use run on onnxruntime-web's WebGPU EP (LayerNormalization needs 17). */
export const OPSET = 17;
const IR_VERSION = 8;

// AttributeProto.AttributeType codes.
const ATTRIBUTE_TYPE = { f: 1, i: 2, s: 3, floats: 6, ints: 7 } as const;

function attribute(name: string, value: Attribute) {
  if ('f' in value) return { name, type: ATTRIBUTE_TYPE.f, f: value.f };
  if ('i' in value) return { name, type: ATTRIBUTE_TYPE.i, i: value.i };
  if ('s' in value) return { name, type: ATTRIBUTE_TYPE.s, s: new TextEncoder().encode(value.s) };
  if ('floats' in value) return { name, type: ATTRIBUTE_TYPE.floats, floats: value.floats };
  return { name, type: ATTRIBUTE_TYPE.ints, ints: value.ints };
}

function valueInfo(t: Tensor) {
  const shape = { dim: t.shape.map((d) => ({ dimValue: d })) };
  return { name: t.name, type: { tensorType: { elemType: ONNX_DTYPE[t.dtype as DType], shape } } };
}

/** Initializer bytes in little-endian order, which is what typed arrays hold on every platform we run on. */
function tensorProto(init: Initializer) {
  const { buffer, byteOffset, byteLength } = init.data;
  return { name: init.name, dims: init.shape, dataType: ONNX_DTYPE[init.dtype], rawData: new Uint8Array(buffer, byteOffset, byteLength) };
}

export interface SerializeOptions {
  readonly producerVersion?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Encodes a graph as an ONNX ModelProto. The same graph always gives the same bytes. */
export function serialize(graph: Graph, options: SerializeOptions = {}): Uint8Array {
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
      initializer: graph.initializers.map(tensorProto),
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
    },
  });
  return ModelProto.encode(model).finish();
}
