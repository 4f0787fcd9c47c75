import { open } from 'node:fs/promises';
import { checkRange, type ByteSource } from '../checkpoint/byte-source';
import { CheckpointError } from '../errors';

export interface FileSource extends ByteSource {
  close(): Promise<void>;
}

/** fs reads are capped per call (Node refuses lengths past 2 GiB), so big ranges are read in pieces. */
const MAX_READ = 1 << 30;

/** A checkpoint file on disk read by range through one FileHandle: memory holds only what is asked for. */
export async function openFileSource(path: string): Promise<FileSource> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  return {
    size,
    async read(offset, length) {
      checkRange(size, offset, length);
      const out = new Uint8Array(length);
      for (let done = 0; done < length;) {
        const { bytesRead } = await handle.read(out, done, Math.min(length - done, MAX_READ), offset + done);
        if (bytesRead === 0) throw new CheckpointError(`short read: file ended at byte offset ${offset + done} of ${size} (changed while reading?)`);
        done += bytesRead;
      }
      return out;
    },
    close: () => handle.close(),
  };
}

/** Runs `work` on the file and always closes it. */
export async function withFileSource<T>(path: string, work: (source: FileSource) => Promise<T>): Promise<T> {
  const source = await openFileSource(path);
  try {
    return await work(source);
  } finally {
    await source.close();
  }
}
