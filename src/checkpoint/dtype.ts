import { CheckpointError } from '../errors';

/** Element types, named as safetensors names them. */
export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

export const isDType = (name: string): name is DType => Object.hasOwn(DTYPE_BYTES, name);

/** torch's name for each dtype (`torch.float32` without the module), as manifests written from torch list them. */
export const TORCH_DTYPE_NAMES: Readonly<Record<DType, string>> = {
  F64: 'float64', F32: 'float32', F16: 'float16', BF16: 'bfloat16', I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8',
  U64: 'uint64', U32: 'uint32', U16: 'uint16', U8: 'uint8', BOOL: 'bool',
};

export const isFloating = (dtype: DType): boolean => dtype === 'F64' || dtype === 'F32' || dtype === 'F16' || dtype === 'BF16';

/** The typed array a dtype's raw bytes are viewed as. F16 and BF16 stay raw 16-bit words. */
export type TypedArrayOf<D extends DType> = D extends 'F64' ? Float64Array
  : D extends 'F32' ? Float32Array
  : D extends 'I64' ? BigInt64Array
  : D extends 'U64' ? BigUint64Array
  : D extends 'I32' ? Int32Array
  : D extends 'U32' ? Uint32Array
  : D extends 'I16' ? Int16Array
  : D extends 'I8' ? Int8Array
  : D extends 'F16' | 'BF16' | 'U16' ? Uint16Array
  : Uint8Array;

export type AnyTypedArray = Float64Array | Float32Array | BigInt64Array | BigUint64Array | Int32Array | Uint32Array
  | Int16Array | Uint16Array | Int8Array | Uint8Array;

type TypedArrayCtor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => AnyTypedArray;

const CTORS: Readonly<Record<DType, TypedArrayCtor>> = {
  F64: Float64Array, F32: Float32Array, F16: Uint16Array, BF16: Uint16Array, I64: BigInt64Array, I32: Int32Array,
  I16: Int16Array, I8: Int8Array, U64: BigUint64Array, U32: Uint32Array, U16: Uint16Array, U8: Uint8Array, BOOL: Uint8Array,
};

/**
 * A typed view of `bytes`: zero-copy when the bytes sit at an offset aligned to the item size (always
 * for fresh reads and for torch/safetensors data, which both align), a copy otherwise.
 */
export function typedView<D extends DType>(dtype: D, bytes: Uint8Array): TypedArrayOf<D> {
  const size = DTYPE_BYTES[dtype];
  if (bytes.byteLength % size !== 0) {
    throw new CheckpointError(`${bytes.byteLength} bytes are not a whole number of ${dtype} elements`);
  }
  const own = bytes.byteOffset % size === 0 && bytes.buffer instanceof ArrayBuffer ? bytes : new Uint8Array(bytes);
  return new CTORS[dtype](own.buffer as ArrayBuffer, own.byteOffset, own.byteLength / size) as TypedArrayOf<D>;
}

let halfTable: Float32Array | undefined;

/** All 65536 half-precision values, decoded once (256 KB); a lookup beats bit twiddling per element. */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) table[h] = sign * frac * 2 ** -24;
    else if (exp === 31) table[h] = frac ? Number.NaN : sign * Infinity;
    else table[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  halfTable = table;
  return table;
}

export function halfToFloat32(words: Uint16Array): Float32Array {
  const table = halfToFloatTable();
  const out = new Float32Array(words.length);
  for (let i = 0; i < words.length; i++) out[i] = table[words[i]!]!;
  return out;
}

/** bfloat16 is the top half of a float32: widening is a shift, exact for every value including NaNs. */
export function bfloat16ToFloat32(words: Uint16Array): Float32Array {
  const out = new Uint32Array(words.length);
  for (let i = 0; i < words.length; i++) out[i] = words[i]! << 16;
  return new Float32Array(out.buffer);
}
