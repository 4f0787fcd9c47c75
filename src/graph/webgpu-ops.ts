import type { GraphData } from './graph';

/**
 * The ONNX-domain ops onnxruntime-web's native WebGPU EP registers kernels for (read from
 * onnxruntime/core/providers/webgpu/webgpu_execution_provider.cc at 577b8d6b). An op outside this
 * list silently runs on the CPU, copying tensors across for every call. Notably absent: Sum, Sign,
 * GroupNormalization. Kernels are float32/float16 (no float64); Slice with a negative step is only
 * right when it starts at the last element (see ops/shape.ts flip).
 */
export const WEBGPU_OPS: ReadonlySet<string> = new Set([
  'Abs', 'Acos', 'Acosh', 'Add', 'And', 'ArgMax', 'ArgMin', 'Asin', 'Asinh', 'Atan', 'Atanh', 'AveragePool',
  'BatchNormalization', 'Cast', 'Ceil', 'Clip', 'Concat', 'Conv', 'ConvTranspose', 'Cos', 'Cosh', 'CumSum',
  'DFT', 'DepthToSpace', 'DequantizeLinear', 'Div', 'Einsum', 'Elu', 'Equal', 'Erf', 'Exp', 'Expand',
  'Flatten', 'Floor', 'GRU', 'Gather', 'GatherElements', 'GatherND', 'Gelu', 'Gemm', 'GlobalAveragePool',
  'GlobalMaxPool', 'Greater', 'GreaterOrEqual', 'GridSample', 'HardSigmoid', 'HardSwish', 'Identity', 'If',
  'InstanceNormalization', 'LSTM', 'LayerNormalization', 'LeakyRelu', 'Less', 'LessOrEqual', 'Log',
  'LpNormalization', 'MatMul', 'Max', 'MaxPool', 'Min', 'Mul', 'Neg', 'Not', 'PRelu', 'Pad', 'Pow',
  'RMSNormalization', 'Range', 'Reciprocal', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp',
  'ReduceMax', 'ReduceMean', 'ReduceMin', 'ReduceProd', 'ReduceSum', 'ReduceSumSquare', 'Relu', 'Reshape',
  'Resize', 'RotaryEmbedding', 'ScatterElements', 'ScatterND', 'Shape', 'Sigmoid', 'Sin', 'Sinh', 'Slice',
  'Softmax', 'Softplus', 'Split', 'Sqrt', 'Squeeze', 'Sub', 'Tan', 'Tanh', 'ThresholdedRelu', 'Tile', 'TopK',
  'Transpose', 'Trilu', 'Unsqueeze', 'Where',
]);

/** The op types of a graph that would not run on the WebGPU EP (empty when all do). */
export const opsOffWebGpu = (graph: GraphData): string[] => [...new Set(graph.nodes.map((n) => n.opType))].filter((op) => !WEBGPU_OPS.has(op)).sort();
