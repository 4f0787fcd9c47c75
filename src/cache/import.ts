import type { ByteSource } from '../checkpoint/byte-source';
import { downloadFile, type DownloadEnv, type DownloadOptions, type DownloadTarget } from './download';
import type { FetchLike, ResponseLike, StreamReader } from './http';
import { fileKeys } from './keys';
import type { DownloadMeta } from './meta';
import { deletePrefix } from './store';

/** Bytes read from a dropped file per step: a File read is cheap, the chunk writer batches them. */
const READ_STEP = 4 << 20;

function sourceReader(source: ByteSource): StreamReader {
  let offset = 0;
  return {
    async read() {
      if (offset >= source.size) return { done: true };
      const value = await source.read(offset, Math.min(READ_STEP, source.size - offset));
      offset += value.byteLength;
      return { done: false, value };
    },
    cancel() {
      offset = source.size;
      return Promise.resolve();
    },
  };
}

/** A "server" that answers every request with the whole of `source`, as a 200 with its length. */
function sourceFetch(source: ByteSource): FetchLike {
  const response: ResponseLike = {
    status: 200,
    statusText: 'OK',
    headers: { get: (name) => (name.toLowerCase() === 'content-length' ? String(source.size) : null) },
    body: { getReader: () => sourceReader(source) },
  };
  return () => Promise.resolve(response);
}

/**
 * Caches a file the user dropped (or picked) under the manifest URL it stands for, through the
 * same path as a download: HTML refused, size and SHA-256 checked, quota handled, progress
 * reported. Whatever was stored for that URL before is replaced.
 */
export async function importSource(env: DownloadEnv, target: DownloadTarget, source: ByteSource, options: DownloadOptions): Promise<DownloadMeta> {
  await deletePrefix(env.store, fileKeys(target.url).prefix);
  return downloadFile({ ...env, fetch: sourceFetch(source), maxAttempts: 1, keepPartOnQuota: false }, target, options);
}
