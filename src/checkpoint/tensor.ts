import { CheckpointError } from '../errors';
import {
  bfloat16ToFloat32, DTYPE_BYTES, halfToFloat32, isFloating, typedView, type DType, type TypedArrayOf,
} from './dtype';
import { LIMITS } from './limits';

/** Bytes several tensors may share (a torch storage record, or one safetensors data range). */
export interface Storage {
  /** Where it lives, for messages: a zip entry name or a safetensors tensor name. */
  readonly key: string;
  readonly byteLength: number;
  read(byteOffset: number, byteLength: number): Promise<Uint8Array>;
}

/** A tensor described, not yet read: a strided view of a storage, as torch defines one. */
export interface Tensor {
  readonly kind: 'tensor';
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** In elements, like torch's `stride()`. */
  readonly strides: readonly number[];
  /** In elements, like torch's `storage_offset()`. */
  readonly offset: number;
  readonly storage: Storage;
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export const contiguousStrides = (shape: readonly number[]): number[] => {
  const strides = new Array<number>(shape.length);
  for (let i = shape.length - 1, s = 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
};

/** Size-1 dimensions may carry any stride, as in torch. */
export const isContiguous = (t: Tensor): boolean => {
  const expected = contiguousStrides(t.shape);
  return t.shape.every((d, i) => d === 1 || t.strides[i] === expected[i]);
};

export const tensorByteLength = (t: Tensor): number => numel(t.shape) * DTYPE_BYTES[t.dtype];

/** Builds a tensor after checking that every element it addresses lies inside its storage. */
export function makeTensor(dtype: DType, shape: readonly number[], strides: readonly number[], offset: number, storage: Storage): Tensor {
  const where = `tensor in storage '${storage.key}'`;
  if (shape.length > LIMITS.maxRank) throw new CheckpointError(`${where}: rank ${shape.length} exceeds ${LIMITS.maxRank}`);
  if (strides.length !== shape.length) throw new CheckpointError(`${where}: ${shape.length} sizes but ${strides.length} strides`);
  const count = numel(shape);
  const itemBytes = DTYPE_BYTES[dtype];
  if (!Number.isSafeInteger(count * itemBytes)) throw new CheckpointError(`${where}: shape [${shape.join(', ')}] declares an absurd size`);
  if (count * itemBytes > Math.max(storage.byteLength, LIMITS.maxExpandedTensorBytes)) {
    throw new CheckpointError(`${where}: shape [${shape.join(', ')}] expands ${storage.byteLength} bytes of storage to ${count * itemBytes} bytes, over the limit`);
  }
  const capacity = Math.floor(storage.byteLength / itemBytes);
  if (count > 0) {
    const last = shape.reduce((acc, d, i) => acc + (d - 1) * strides[i]!, offset);
    if (!Number.isSafeInteger(last) || last >= capacity) {
      throw new CheckpointError(`${where}: shape [${shape.join(', ')}] strides [${strides.join(', ')}] at storage offset ${offset} reach element ${last}, past the ${capacity} ${dtype} elements the storage holds`);
    }
  } else if (offset > capacity) {
    throw new CheckpointError(`${where}: storage offset ${offset} is past the ${capacity} elements the storage holds`);
  }
  return { kind: 'tensor', dtype, shape: [...shape], strides: [...strides], offset, storage };
}

type Words = Uint8Array | Uint16Array | Uint32Array;

/** Views bytes as words of the item size; 8-byte items become pairs of 4-byte words. */
function words(bytes: Uint8Array, itemBytes: number): Words {
  const unit = Math.min(itemBytes, 4);
  const own = bytes.byteOffset % unit === 0 ? bytes : new Uint8Array(bytes);
  if (unit === 1) return own;
  const Ctor = unit === 2 ? Uint16Array : Uint32Array;
  return new Ctor(own.buffer as ArrayBuffer, own.byteOffset, own.byteLength / unit);
}

/** Copies a strided view (in word units, starting at word 0 of `src`) into row-major order. */
function gather(src: Words, dst: Words, shape: readonly number[], strides: readonly number[]): void {
  const rank = shape.length;
  const inner = shape[rank - 1]!;
  const innerStride = strides[rank - 1]!;
  const index = new Array<number>(rank).fill(0);
  let base = 0;
  for (let out = 0; out < dst.length; out += inner) {
    for (let j = 0, s = base; j < inner; j++, s += innerStride) dst[out + j] = src[s]!;
    for (let d = rank - 2; d >= 0; d--) {
      base += strides[d]!;
      if (++index[d]! < shape[d]!) break;
      base -= strides[d]! * shape[d]!;
      index[d] = 0;
    }
  }
}

/** The tensor's elements in row-major (C-contiguous) order, reading only the bytes it spans. */
export async function readTensorBytes(t: Tensor): Promise<Uint8Array> {
  const itemBytes = DTYPE_BYTES[t.dtype];
  const count = numel(t.shape);
  if (count === 0) return new Uint8Array(0);
  if (isContiguous(t)) return t.storage.read(t.offset * itemBytes, count * itemBytes);
  const spanElements = t.shape.reduce((acc, d, i) => acc + (d - 1) * t.strides[i]!, 0) + 1;
  const span = await t.storage.read(t.offset * itemBytes, spanElements * itemBytes);
  const out = new Uint8Array(count * itemBytes);
  const pairs = itemBytes === 8;
  gather(
    words(span, itemBytes), words(out, itemBytes),
    pairs ? [...t.shape, 2] : t.shape,
    pairs ? [...t.strides.map((s) => s * 2), 1] : t.strides,
  );
  return out;
}

/** The tensor as a typed array of its own dtype (F16/BF16 as raw Uint16 words). */
export async function readTensor<D extends DType>(t: Tensor & { readonly dtype: D }): Promise<TypedArrayOf<D>> {
  return typedView(t.dtype, await readTensorBytes(t));
}

/** A floating tensor widened (F16, BF16) or narrowed (F64) to float32; F32 is returned as stored. */
export async function readTensorFloat32(t: Tensor): Promise<Float32Array> {
  if (!isFloating(t.dtype)) throw new CheckpointError(`tensor in storage '${t.storage.key}' is ${t.dtype}, not floating point`);
  const bytes = await readTensorBytes(t);
  if (t.dtype === 'F32') return typedView('F32', bytes);
  if (t.dtype === 'F64') return Float32Array.from(typedView('F64', bytes));
  const raw = typedView('U16', bytes);
  return t.dtype === 'F16' ? halfToFloat32(raw) : bfloat16ToFloat32(raw);
}
