import type { ByteSource } from '../checkpoint/byte-source';
import { CacheError } from '../errors';
import { chunkedSource, DEFAULT_CHUNK_BYTES } from './chunked-source';
import { fileNameOf, type DownloadOptions, type DownloadTarget } from './download';
import { withFileLock, withFileLocks, type FileOperation, type LockManagerLike } from './file-locks';
import { deleteGraphsOf, graphSourceOf } from './graph-cache';
import { globalFetch, type FetchLike } from './http';
import { importSource } from './import';
import { FILE_PREFIX, fileKeys, GRAPH_PREFIX, PACK_PREFIX } from './keys';
import { sourcesOf, type FileSource, type ModelEntry } from './manifest';
import { parseMeta, readMeta, storedBytesOf, type DownloadMeta } from './meta';
import { waitingProgress, type DownloadProgress } from './progress';
import { createSharedDownload, type SharedDownload } from './shared-download';
import { downloadFromSources, fitsSources } from './sources';
import type { StorageManagerLike } from './storage-info';
import { deletePrefix, type KeyValueStore } from './store';

export interface ModelCacheOptions {
  readonly store: KeyValueStore;
  /** Defaults to the global fetch. */
  readonly fetch?: FetchLike;
  /** navigator.storage in the browser: quota checks and messages use it. */
  readonly storage?: StorageManagerLike;
  /** navigator.locks in the browser: tabs sharing the store take turns per file (file-locks.ts). */
  readonly locks?: LockManagerLike;
  readonly chunkBytes?: number;
  readonly now?: () => number;
  readonly maxAttempts?: number;
  readonly progressIntervalMs?: number;
  /** GitHub's REST API origin (tests: a local server). */
  readonly githubApi?: string;
}

/** A file to cache: one URL, or a manifest file with its sources (then `url` is only its name in the cache). */
export type CacheTarget = DownloadTarget & { readonly sources?: readonly FileSource[]; readonly page?: string };

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
  /** Lowercase hex, once verified. */
  readonly sha256?: string | undefined;
  /** Bytes the cache holds: bytesDone, or less for a checkpoint cut to the tensors a model reads (`keep`). */
  readonly storedBytes: number;
}

/** Hears what an operation waits for while another tab (or a generation) holds the file. */
export type OnFileWait = (url: string, holder: FileOperation | undefined) => void;

/** A model's files taken together, for the panel: one bar per model as well as per file. */
export interface ModelStatus {
  readonly id: string;
  /** 'verified' when every file is, 'absent' when none has a byte, else 'partial'. */
  readonly state: FileStatus['state'];
  readonly bytesDone: number;
  /** Known when every file's size is (from its server or the manifest). */
  readonly totalBytes: number | undefined;
  readonly storedBytes: number;
  readonly files: readonly FileStatus[];
}

export interface ModelCache {
  /** Downloads (or resumes, or finds cached) and verifies; concurrent calls for one URL share one transfer. */
  download(target: CacheTarget, options?: DownloadOptions): Promise<CachedFile>;
  /** Stores a file the user dropped (when the URL cannot be fetched), verified like a download. */
  importFile(target: CacheTarget, source: ByteSource, options?: DownloadOptions): Promise<CachedFile>;
  /** The verified file as a ByteSource over its chunk records; a CacheError if it is not cached and verified. */
  open(url: string): Promise<ByteSource>;
  status(url: string): Promise<FileStatus>;
  modelStatus(model: ModelEntry): Promise<ModelStatus>;
  /** Every file with records, verified or partial. */
  list(): Promise<FileStatus[]>;
  /**
   * Removes the file's records and its converted graphs: stops this tab's download of it first, then
   * waits for other tabs' downloads and for generations reading it.
   */
  deleteFile(url: string, onWait?: OnFileWait): Promise<void>;
  /** Removes every file of the model (weights, config, model.json, ONNX) and their converted graphs. */
  deleteModel(model: ModelEntry, onWait?: OnFileWait): Promise<void>;
  /** Removes every file and converted graph this cache wrote, and the packs' saved lists. */
  deleteAll(onWait?: OnFileWait): Promise<void>;
  /** Runs `fn` with the files held for reading (shared): no tab deletes or rewrites them meanwhile. */
  reading<T>(urls: readonly string[], fn: () => Promise<T>, onWait?: OnFileWait): Promise<T>;
}

const cachedFileOf = (meta: DownloadMeta): CachedFile => ({ url: meta.url, size: meta.bytesDone, sha256: meta.sha256 ?? '' });

const statusOf = (url: string, meta: DownloadMeta | undefined, size?: number): FileStatus =>
  meta
    ? { url, state: meta.state, bytesDone: meta.bytesDone, totalBytes: meta.totalBytes ?? size, sha256: meta.sha256, storedBytes: meta.subset?.size ?? meta.bytesDone }
    : { url, state: 'absent', bytesDone: 0, totalBytes: size, storedBytes: 0 };

function summarize(id: string, files: readonly FileStatus[]): ModelStatus {
  const state = files.every((f) => f.state === 'verified') ? 'verified' : files.every((f) => f.state === 'absent') ? 'absent' : 'partial';
  const bytesDone = files.reduce((n, f) => n + f.bytesDone, 0);
  const totalBytes = files.every((f) => f.totalBytes !== undefined) ? files.reduce((n, f) => n + f.totalBytes!, 0) : undefined;
  return { id, state, bytesDone, totalBytes, storedBytes: files.reduce((n, f) => n + f.storedBytes, 0), files };
}

// eslint-disable-next-line max-lines-per-function -- the cache object: each method is a few lines over the shared state
export function createModelCache(options: ModelCacheOptions): ModelCache {
  const { store, locks } = options;
  const inflight = new Map<string, SharedDownload<DownloadMeta>>();
  const env = () => ({
    store,
    fetch: options.fetch ?? globalFetch(),
    chunkBytes: options.chunkBytes ?? DEFAULT_CHUNK_BYTES,
    now: options.now ?? Date.now,
    storage: options.storage,
    maxAttempts: options.maxAttempts ?? 5,
    progressIntervalMs: options.progressIntervalMs ?? 100,
    ...(options.githubApi ? { githubApi: options.githubApi } : {}),
  });
  const shared = (target: CacheTarget): SharedDownload<DownloadMeta> => {
    const running = inflight.get(target.url);
    if (running) return running;
    const done = () => inflight.get(target.url) === started && inflight.delete(target.url);
    // The lock is taken inside the shared transfer: this tab's callers share it, other tabs wait for it.
    const run = (signal: AbortSignal, onProgress: (p: DownloadProgress) => void) =>
      withFileLock(locks, target.url, 'download', () => downloadFromSources(env(), { ...target, sources: sourcesOf(target) }, { signal, onProgress }), {
        signal, onWait: (holder) => onProgress(waitingProgress(target.url, holder)),
      });
    const started = createSharedDownload(run, target.name ?? fileNameOf(target.url), done);
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
  const deleteFile = async (url: string, onWait?: OnFileWait) => {
    await stop(url);
    await withFileLock(locks, url, 'delete', async () => {
      const meta = await readMeta(store, url);
      if (meta) await deleteGraphsOf(store, graphSourceOf(meta));
      await deletePrefix(store, fileKeys(url).prefix);
    }, { onWait: (holder) => onWait?.(url, holder) });
  };
  return {
    async download(target, opts = {}) {
      // A verified file needs no lock: a generation holding it shared may ask for it.
      const stored = await readMeta(store, target.url);
      if (stored?.state === 'verified' && fitsSources(stored, sourcesOf(target))) return cachedFileOf(stored);
      return cachedFileOf(await shared(target).join(opts.signal, opts.onProgress));
    },
    async importFile(target, source, opts = {}) {
      await stop(target.url);
      const onWait = (holder: FileOperation | undefined) => opts.onProgress?.(waitingProgress(target.url, holder));
      return cachedFileOf(await withFileLock(locks, target.url, 'import', () => importSource(env(), target, source, opts), { onWait, ...(opts.signal ? { signal: opts.signal } : {}) }));
    },
    async open(url) {
      const meta = await readMeta(store, url);
      if (meta?.state !== 'verified') throw new CacheError(`${fileNameOf(url)} is not in the cache${meta ? ' yet (its download is not finished)' : ''}; download it or drop the file first`);
      const stored = storedBytesOf(meta);
      return chunkedSource(store, stored.keys, stored.layout, fileNameOf(url));
    },
    status: async (url) => statusOf(url, await readMeta(store, url)),
    async modelStatus(model) {
      const files = await Promise.all(model.files.map(async (f) => statusOf(f.url, await readMeta(store, f.url), sourcesOf(f)[0]!.size)));
      return summarize(model.id, files);
    },
    list: () => listFiles(store),
    deleteFile,
    async deleteModel(model, onWait) {
      for (const file of model.files) await deleteFile(file.url, onWait);
    },
    async deleteAll(onWait) {
      // File by file, each under its lock, so no other tab's download or generation loses records
      // mid-way (a sweep of every file record would).
      await Promise.all([...inflight.keys()].map(stop));
      for (const file of await listFiles(store)) await deleteFile(file.url, onWait);
      await deletePrefix(store, GRAPH_PREFIX);
      // The packs' saved lists go too: nothing the models panel stored is left.
      await deletePrefix(store, PACK_PREFIX);
    },
    reading: (urls, fn, onWait) => withFileLocks(locks, urls, 'generation', fn, { onWait: (url, holder) => onWait?.(url, holder) }),
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
