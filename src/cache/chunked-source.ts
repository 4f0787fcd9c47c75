import { checkRange, type ByteSource } from '../checkpoint/byte-source';
import { CacheError } from '../errors';
import type { ChunkedKeys } from './keys';
import type { KeyValueStore } from './store';

/** 8 MiB records: small enough to write often (little lost on a drop), few enough for a 2 GB file (~280). */
export const DEFAULT_CHUNK_BYTES = 8 << 20;

/** How a byte string is cut into records: every chunk `chunkBytes` long except a shorter last one. */
export interface ChunkLayout {
  readonly size: number;
  readonly chunkBytes: number;
}

export const chunkCountOf = (layout: ChunkLayout): number => Math.ceil(layout.size / layout.chunkBytes);

export const chunkLengthOf = (layout: ChunkLayout, index: number): number =>
  Math.min(layout.chunkBytes, layout.size - index * layout.chunkBytes);

/**
 * Loads one chunk record and checks it is the bytes the layout promises: a record lost or cut by
 * the browser (eviction, a bug like transformers.js #99) must surface here, not as a corrupt tensor.
 */
export async function loadChunk(store: KeyValueStore, keys: ChunkedKeys, layout: ChunkLayout, index: number, what: string): Promise<Uint8Array> {
  const value = await store.get(keys.chunk(index));
  const expected = chunkLengthOf(layout, index);
  if (!(value instanceof Uint8Array) || value.byteLength !== expected) {
    const found = value instanceof Uint8Array ? `${value.byteLength} bytes` : 'missing';
    throw new CacheError(`the cached copy of ${what} is damaged (chunk ${index} is ${found}, expected ${expected} bytes); delete it and download it again`);
  }
  return value;
}

/** Chunks kept by a source: checkpoint readers make many small reads close together (zip tail, pickles, headers). */
const KEPT_CHUNKS = 2;

/**
 * A ByteSource over chunk records: each read loads only the chunks it spans, so a 2 GB model is
 * never one buffer (browser-anchors §5 item 10). A read inside one chunk is a view of it; a read
 * across chunks is copied into a buffer of exactly `length` bytes.
 */
export function chunkedSource(store: KeyValueStore, keys: ChunkedKeys, layout: ChunkLayout, what: string): ByteSource {
  const kept = new Map<number, Uint8Array>();
  const chunk = async (index: number): Promise<Uint8Array> => {
    const hit = kept.get(index);
    if (hit) return hit;
    const bytes = await loadChunk(store, keys, layout, index, what);
    kept.set(index, bytes);
    if (kept.size > KEPT_CHUNKS) kept.delete(kept.keys().next().value!);
    return bytes;
  };
  return {
    size: layout.size,
    async read(offset, length) {
      checkRange(layout.size, offset, length);
      return readSpan(chunk, layout.chunkBytes, offset, length);
    },
  };
}

async function readSpan(chunk: (index: number) => Promise<Uint8Array>, chunkBytes: number, offset: number, length: number): Promise<Uint8Array> {
  if (length === 0) return new Uint8Array(0);
  const first = Math.floor(offset / chunkBytes);
  const last = Math.floor((offset + length - 1) / chunkBytes);
  if (first === last) {
    const at = offset - first * chunkBytes;
    return (await chunk(first)).subarray(at, at + length);
  }
  const out = new Uint8Array(length);
  for (let i = first; i <= last; i++) {
    const bytes = await chunk(i);
    const from = Math.max(offset, i * chunkBytes) - i * chunkBytes;
    const to = Math.min(offset + length, (i + 1) * chunkBytes) - i * chunkBytes;
    out.set(bytes.subarray(from, to), i * chunkBytes + from - offset);
  }
  return out;
}
