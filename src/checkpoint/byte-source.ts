import { CheckpointError } from '../errors';

/**
 * Random access to the bytes of a checkpoint. Readers ask only for the ranges they need (zip tail,
 * central directory, headers, one tensor at a time), so a 2 GB file never needs one 2 GB buffer.
 * `read` resolves with exactly `length` bytes or rejects.
 */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** What a browser File/Blob offers, typed structurally so this module needs no DOM lib. */
export interface BlobLike {
  readonly size: number;
  slice(start: number, end: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

/** Rejects a range that is not inside `size`, naming it; every reader goes through this. */
export function checkRange(size: number, offset: number, length: number, what = 'read'): void {
  const ok = Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0 && offset + length <= size;
  if (!ok) {
    throw new CheckpointError(`${what} of ${length} bytes at byte offset ${offset} is outside the ${size}-byte file (truncated or corrupt)`);
  }
}

/** An in-memory source. Reads are zero-copy views into `bytes`. */
export function memorySource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.byteLength,
    read(offset, length) {
      checkRange(bytes.byteLength, offset, length);
      return Promise.resolve(bytes.subarray(offset, offset + length));
    },
  };
}

export function blobSource(blob: BlobLike): ByteSource {
  return {
    size: blob.size,
    async read(offset, length) {
      checkRange(blob.size, offset, length);
      const buffer = await blob.slice(offset, offset + length).arrayBuffer();
      if (buffer.byteLength !== length) {
        throw new CheckpointError(`short read: ${buffer.byteLength} of ${length} bytes at byte offset ${offset} (file changed while reading?)`);
      }
      return new Uint8Array(buffer);
    },
  };
}
