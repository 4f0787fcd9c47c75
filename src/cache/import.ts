import type { ByteSource } from '../checkpoint/byte-source';
import { unmatchedImportError } from './cache-errors';
import { downloadFile, type DownloadEnv, type DownloadOptions, type DownloadTarget } from './download';
import type { FetchLike, ResponseLike, StreamReader } from './http';
import { fileKeys } from './keys';
import { sourcesOf, type FileSource } from './manifest';
import type { DownloadMeta } from './meta';
import { fitsSources } from './sources';
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
 * same path as a download: HTML refused, size and SHA-256 checked (against any of the file's
 * sources: the user may have fetched it from a mirror), quota handled, progress reported.
 * Whatever was stored for that URL before is replaced.
 */
export async function importSource(
  env: DownloadEnv, target: DownloadTarget & { readonly sources?: readonly FileSource[] }, source: ByteSource, options: DownloadOptions,
): Promise<DownloadMeta> {
  await deletePrefix(env.store, fileKeys(target.url).prefix);
  const sources = sourcesOf(target);
  // One source: its size and digest are checked as a download's; with several, any of them will do (below).
  const { size, sha256 } = sources.length === 1 ? sources[0]! : {};
  const checked = { url: target.url, ...(target.name ? { name: target.name } : {}), ...(size !== undefined ? { size } : {}), ...(sha256 ? { sha256 } : {}), ...(target.keep ? { keep: target.keep } : {}) };
  const meta = await downloadFile({ ...env, fetch: sourceFetch(source), maxAttempts: 1, keepPartOnQuota: false }, checked, options);
  if (fitsSources(meta, sources)) return meta;
  await deletePrefix(env.store, fileKeys(target.url).prefix);
  throw unmatchedImportError(target.name ?? target.url, meta, sources);
}
