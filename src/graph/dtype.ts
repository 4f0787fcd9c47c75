/** Tensor element types the builder knows, with their ONNX TensorProto.DataType codes. */
export const ONNX_DTYPE = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
} as const;

export type DType = keyof typeof ONNX_DTYPE;

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = { float32: 4, uint8: 1, int8: 1, int32: 4, int64: 8, bool: 1, float16: 2, float64: 8 };

/** The typed array that holds each dtype's data (float16 as raw bits; int64 as BigInt64Array, as ORT wants). */
export interface DTypeArray {
  float32: Float32Array;
  uint8: Uint8Array;
  int8: Int8Array;
  int32: Int32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
  float16: Uint16Array;
  float64: Float64Array;
}

export type TypedArray = DTypeArray[DType];

export const isFloat = (dtype: DType): boolean => dtype === 'float32' || dtype === 'float16' || dtype === 'float64';
