export type { Attribute, Attributes } from './attributes';
export { ONNX_DTYPE, isFloat, type DType, type DTypeArray, type TypedArray } from './dtype';
export { Graph, type GraphNode, type Initializer, type OutputSpec } from './graph';
export { OPSET, serialize, type SerializeOptions } from './serialize';
export { formatShape, size, type Tensor } from './tensor';
export * from './ops/conv';
export * from './ops/elementwise';
export * from './ops/linalg';
export * from './ops/shape';
