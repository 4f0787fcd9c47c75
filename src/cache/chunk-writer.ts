import type { ChunkedKeys } from './keys';
import type { KeyValueStore } from './store';

export interface ChunkWriterOptions {
  readonly store: KeyValueStore;
  readonly keys: ChunkedKeys;
  readonly chunkBytes: number;
  /** Index of the first record to write (the stored chunk count when resuming). */
  readonly startIndex: number;
  /** Runs after each record is written, before the next one: meta updates and hashing go here. */
  readonly onStored: (chunk: Uint8Array, index: number) => Promise<void> | void;
}

export interface ChunkWriter {
  /** Appends bytes; writes a record each time a chunk fills. Rejects with the store's error (quota). */
  push(bytes: Uint8Array): Promise<void>;
  /** Writes the last, shorter chunk if any bytes are buffered. */
  finish(): Promise<void>;
  /** Bytes received but not yet in a record (lost if the stream breaks now). */
  buffered(): number;
}

/**
 * Cuts a byte stream into fixed-size records. Each record gets its own exact-size buffer: IndexedDB
 * structured-clones a Uint8Array's whole ArrayBuffer, so a view into a bigger buffer would store
 * the bigger buffer.
 */
export function createChunkWriter(options: ChunkWriterOptions): ChunkWriter {
  const { store, keys, chunkBytes, onStored } = options;
  let index = options.startIndex;
  let chunk = new Uint8Array(chunkBytes);
  let fill = 0;
  const write = async (record: Uint8Array) => {
    await store.set(keys.chunk(index), record);
    await onStored(record, index);
    index++;
  };
  return {
    async push(bytes) {
      for (let at = 0; at < bytes.length;) {
        const take = Math.min(chunkBytes - fill, bytes.length - at);
        chunk.set(bytes.subarray(at, at + take), fill);
        fill += take;
        at += take;
        if (fill === chunkBytes) {
          await write(chunk);
          chunk = new Uint8Array(chunkBytes);
          fill = 0;
        }
      }
    },
    async finish() {
      if (fill > 0) await write(chunk.slice(0, fill));
      fill = 0;
    },
    buffered: () => fill,
  };
}
