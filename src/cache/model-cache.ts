import type { ByteSource } from '../checkpoint/byte-source';
import { CacheError } from '../errors';
import { chunkedSource, DEFAULT_CHUNK_BYTES } from './chunked-source';
import { downloadFile, fileNameOf, type DownloadOptions, type DownloadTarget } from './download';
import { deleteGraphsOf, graphSourceOf } from './graph-cache';
import { globalFetch, type FetchLike } from './http';
import { importSource } from './import';
import { FILE_PREFIX, fileKeys, GRAPH_PREFIX } from './keys';
import type { ModelEntry } from './manifest';
import { layoutOf, parseMeta, readMeta, type DownloadMeta } from './meta';
import { createSharedDownload, type SharedDownload } from './shared-download';
import type { StorageManagerLike } from './storage-info';
import { deletePrefix, type KeyValueStore } from './store';

export interface ModelCacheOptions {
  readonly store: KeyValueStore;
  /** Defaults to the global fetch. */
  readonly fetch?: FetchLike;
  /** navigator.storage in the browser: quota checks and messages use it. */
  readonly storage?: StorageManagerLike;
  readonly chunkBytes?: number;
  readonly now?: () => number;
  readonly maxAttempts?: number;
  readonly progressIntervalMs?: number;
}

/** A verified file in the cache. */
export interface CachedFile {
  readonly url: string;
  readonly size: number;
  readonly sha256: string;
}

export interface FileStatus {
  readonly url: string;
  readonly state: 'absent' | 'partial' | 'verified';
  readonly bytesDone: number;
  readonly totalBytes: number | undefined;
}

/** A model's files taken together, for the panel: one bar per model as well as per file. */
export interface ModelStatus {
  readonly id: string;
  /** 'verified' when every file is, 'absent' when none has a byte, else 'partial'. */
  readonly state: FileStatus['state'];
  readonly bytesDone: number;
  /** Known when every file's size is (from its server or the manifest). */
  readonly totalBytes: number | undefined;
  readonly files: readonly FileStatus[];
}

export interface ModelCache {
  /** Downloads (or resumes, or finds cached) and verifies; concurrent calls for one URL share one transfer. */
  download(target: DownloadTarget, options?: DownloadOptions): Promise<CachedFile>;
  /** Stores a file the user dropped (when the URL cannot be fetched), verified like a download. */
  importFile(target: DownloadTarget, source: ByteSource, options?: DownloadOptions): Promise<CachedFile>;
  /** The verified file as a ByteSource over its chunk records; a CacheError if it is not cached and verified. */
  open(url: string): Promise<ByteSource>;
  status(url: string): Promise<FileStatus>;
  modelStatus(model: ModelEntry): Promise<ModelStatus>;
  /** Every file with records, verified or partial. */
  list(): Promise<FileStatus[]>;
  /** Removes the file's records and its converted graphs (stopping its download first). */
  deleteFile(url: string): Promise<void>;
  /** Removes every file of the model (weights, config, model.json, ONNX) and their converted graphs. */
  deleteModel(model: ModelEntry): Promise<void>;
  /** Removes every file and converted graph this cache wrote. */
  deleteAll(): Promise<void>;
}

const cachedFileOf = (meta: DownloadMeta): CachedFile => ({ url: meta.url, size: meta.bytesDone, sha256: meta.sha256 ?? '' });

const statusOf = (url: string, meta: DownloadMeta | undefined, size?: number): FileStatus =>
  meta ? { url, state: meta.state, bytesDone: meta.bytesDone, totalBytes: meta.totalBytes ?? size } : { url, state: 'absent', bytesDone: 0, totalBytes: size };

function summarize(id: string, files: readonly FileStatus[]): ModelStatus {
  const state = files.every((f) => f.state === 'verified') ? 'verified' : files.every((f) => f.state === 'absent') ? 'absent' : 'partial';
  const bytesDone = files.reduce((n, f) => n + f.bytesDone, 0);
  const totalBytes = files.every((f) => f.totalBytes !== undefined) ? files.reduce((n, f) => n + f.totalBytes!, 0) : undefined;
  return { id, state, bytesDone, totalBytes, files };
}

// eslint-disable-next-line max-lines-per-function -- the cache object: each method is a few lines over the shared state
export function createModelCache(options: ModelCacheOptions): ModelCache {
  const { store } = options;
  const inflight = new Map<string, SharedDownload<DownloadMeta>>();
  const env = () => ({
    store,
    fetch: options.fetch ?? globalFetch(),
    chunkBytes: options.chunkBytes ?? DEFAULT_CHUNK_BYTES,
    now: options.now ?? Date.now,
    storage: options.storage,
    maxAttempts: options.maxAttempts ?? 5,
    progressIntervalMs: options.progressIntervalMs ?? 100,
  });
  const shared = (target: DownloadTarget): SharedDownload<DownloadMeta> => {
    const running = inflight.get(target.url);
    if (running) return running;
    const done = () => inflight.get(target.url) === started && inflight.delete(target.url);
    const started = createSharedDownload((signal, onProgress) => downloadFile(env(), target, { signal, onProgress }), target.name ?? fileNameOf(target.url), done);
    inflight.set(target.url, started);
    started.promise.then(done, done);
    return started;
  };
  /** Aborts the URL's download and waits until it has settled, so no write of it lands after a delete. */
  const stop = async (url: string) => {
    const running = inflight.get(url);
    inflight.delete(url);
    running?.abort();
    await running?.promise.catch(() => undefined);
  };
  const deleteFile = async (url: string) => {
    await stop(url);
    const meta = await readMeta(store, url);
    if (meta) await deleteGraphsOf(store, graphSourceOf(meta));
    await deletePrefix(store, fileKeys(url).prefix);
  };
  return {
    async download(target, opts = {}) {
      return cachedFileOf(await shared(target).join(opts.signal, opts.onProgress));
    },
    async importFile(target, source, opts = {}) {
      await stop(target.url);
      return cachedFileOf(await importSource(env(), target, source, opts));
    },
    async open(url) {
      const meta = await readMeta(store, url);
      if (meta?.state !== 'verified') throw new CacheError(`${fileNameOf(url)} is not in the cache${meta ? ' yet (its download is not finished)' : ''}; download it or drop the file first`);
      return chunkedSource(store, fileKeys(url), layoutOf(meta), fileNameOf(url));
    },
    status: async (url) => statusOf(url, await readMeta(store, url)),
    async modelStatus(model) {
      const files = await Promise.all(model.files.map(async (f) => statusOf(f.url, await readMeta(store, f.url), f.size)));
      return summarize(model.id, files);
    },
    list: () => listFiles(store),
    deleteFile,
    async deleteModel(model) {
      for (const file of model.files) await deleteFile(file.url);
    },
    async deleteAll() {
      await Promise.all([...inflight.keys()].map(stop));
      await deletePrefix(store, FILE_PREFIX);
      await deletePrefix(store, GRAPH_PREFIX);
    },
  };
}

async function listFiles(store: KeyValueStore): Promise<FileStatus[]> {
  const metaKeys = (await store.keys()).filter((k) => k.startsWith(FILE_PREFIX) && k.endsWith('/meta'));
  const out: FileStatus[] = [];
  for (const key of metaKeys) {
    const url = decodeURIComponent(key.slice(FILE_PREFIX.length, -'/meta'.length));
    out.push(statusOf(url, parseMeta(await store.get(key), url)));
  }
  return out;
}
