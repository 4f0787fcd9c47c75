/**
 * The model cache: downloads streamed into chunked records of a key-value store (IndexedDB in the
 * browser, through workers/idb-store.ts), resumed with HTTP Range, verified by SHA-256 or size
 * before use, and read back lazily as a ByteSource. Engine-side: no DOM, no Node API; fetch, the
 * store and navigator.storage are passed in.
 */
export { CacheError } from '../errors';
export { InterruptedError, offlineError, QuotaError } from './cache-errors';
export { chunkedSource, DEFAULT_CHUNK_BYTES, type ChunkLayout } from './chunked-source';
export { fileNameOf, type DownloadOptions, type DownloadTarget } from './download';
export {
  canonicalJson, deleteGraph, deleteGraphsOf, getGraph, graphSourceKey, graphSourceOf, putGraph,
  type CachedGraph, type CachedGraphFile, type ConvertedGraph, type GraphFile, type GraphId, type GraphSource, type PutGraphOptions,
} from './graph-cache';
export type { FetchInit, FetchLike, ResponseLike, StreamReader } from './http';
export {
  BUILTIN_MANIFEST, CONTAINERS, findModel, KEY_NAMES, MANIFEST_FORMAT, sourcesOf, withOwnFiles,
  type Container, type FileRole, type FileSource, type GithubAsset, type KeyNames, type ModelEntry, type ModelFile, type ModelFormat, type ModelKind, type ModelManifest,
} from './manifest';
export { MANIFEST_LIMITS, resolveUrl, validateManifest } from './manifest-validate';
export { waitingText, type FileOperation, type LockManagerLike } from './file-locks';
export { createModelCache, type CacheTarget, type CachedFile, type FileStatus, type ModelCache, type ModelCacheOptions, type ModelStatus, type OnFileWait } from './model-cache';
export { fetchPack, loadPack, MAX_MANIFEST_BYTES, type LoadedPack } from './pack';
export { waitingProgress, type DownloadProgress } from './progress';
export { formatBytes, requestPersistence, storageStatus, type PersistenceResult, type StorageManagerLike, type StorageStatus } from './storage-info';
export { deletePrefix, isQuotaError, memoryStore, QUOTA_ERROR_NAME, type KeyValueStore, type MemoryStore, type MemoryStoreOptions } from './store';
