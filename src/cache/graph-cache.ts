import type { ByteSource } from '../checkpoint/byte-source';
import { CacheError } from '../errors';
import { quotaMessage } from './cache-errors';
import { createChunkWriter } from './chunk-writer';
import { chunkedSource, DEFAULT_CHUNK_BYTES } from './chunked-source';
import { graphKeys, graphSourcePrefix, type GraphKeys } from './keys';
import type { DownloadMeta } from './meta';
import { storageStatus, type StorageManagerLike } from './storage-info';
import { deletePrefix, isQuotaError, type KeyValueStore } from './store';

/**
 * Converted graphs (ONNX bytes + model.json, as the converter writes them) cached next to the
 * checkpoints they came from, so a second visit skips the conversion. An entry is found by what it
 * was made from (the checkpoint's SHA-256, or URL and size when no digest is known) and the
 * converter options; a different checkpoint or option is a different entry.
 */
export interface GraphSource {
  readonly url: string;
  readonly size: number;
  readonly sha256?: string | undefined;
}

export interface GraphId {
  readonly source: GraphSource;
  /** Whatever changes the converter's output (dtype, sizes, model variant); JSON values only. */
  readonly converterOptions: unknown;
}

export interface GraphFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface ConvertedGraph {
  readonly modelJson: unknown;
  readonly files: readonly GraphFile[];
}

export interface CachedGraphFile {
  readonly name: string;
  readonly size: number;
  readonly source: ByteSource;
}

export interface CachedGraph {
  readonly modelJson: unknown;
  readonly files: readonly CachedGraphFile[];
  /** One file's bytes in one buffer (what onnxruntime's session create takes). */
  readFile(name: string): Promise<Uint8Array>;
}

export const graphSourceOf = (meta: DownloadMeta): GraphSource => ({ url: meta.url, size: meta.bytesDone, sha256: meta.sha256 });

export const graphSourceKey = (source: GraphSource): string => (source.sha256 ? `sha256:${source.sha256}` : `url:${source.url}|${source.size}`);

/** JSON with object keys sorted at every level, so equal options give equal keys whatever their order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const keysOf = (id: GraphId): GraphKeys => graphKeys(graphSourceKey(id.source), canonicalJson(id.converterOptions));

interface EntryRecord {
  readonly version: 1;
  readonly modelJson: unknown;
  readonly files: readonly { readonly name: string; readonly size: number; readonly chunkBytes: number }[];
}

function parseEntry(value: unknown): EntryRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const e = value as Partial<EntryRecord>;
  const fileOk = (f: unknown) => {
    const { name, size, chunkBytes } = (f ?? {}) as Record<string, unknown>;
    return typeof name === 'string' && Number.isSafeInteger(size) && (size as number) >= 0 && Number.isSafeInteger(chunkBytes) && (chunkBytes as number) > 0;
  };
  return e.version === 1 && Array.isArray(e.files) && e.files.every(fileOk) ? (value as EntryRecord) : undefined;
}

export interface PutGraphOptions {
  readonly chunkBytes?: number;
  readonly storage?: StorageManagerLike;
}

/**
 * Stores a converted graph, replacing any entry with the same id. The entry record is written
 * last, so an interrupted put leaves no entry; on a quota error nothing of it is kept.
 */
export async function putGraph(store: KeyValueStore, id: GraphId, graph: ConvertedGraph, options: PutGraphOptions = {}): Promise<void> {
  const names = graph.files.map((f) => f.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new CacheError(`a converted model cannot hold the file ${twice} twice`);
  const keys = keysOf(id);
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  await deletePrefix(store, keys.prefix);
  try {
    for (const file of graph.files) {
      const writer = createChunkWriter({ store, keys: keys.file(file.name), chunkBytes, startIndex: 0, onStored: () => undefined });
      await writer.push(file.bytes);
      await writer.finish();
    }
    const entry: EntryRecord = { version: 1, modelJson: graph.modelJson, files: graph.files.map((f) => ({ name: f.name, size: f.bytes.byteLength, chunkBytes })) };
    await store.set(keys.entry, entry);
  } catch (err) {
    await deletePrefix(store, keys.prefix).catch(() => undefined);
    if (!isQuotaError(err)) throw err;
    const needed = graph.files.reduce((n, f) => n + f.bytes.byteLength, 0);
    throw new CacheError(quotaMessage('the converted model', { needed, kept: 0 }, await storageStatus(options.storage)));
  }
}

/** The cached graph, or undefined when there is none for this id. */
export async function getGraph(store: KeyValueStore, id: GraphId): Promise<CachedGraph | undefined> {
  const keys = keysOf(id);
  const entry = parseEntry(await store.get(keys.entry));
  if (!entry) return undefined;
  const files = entry.files.map((f) => ({
    name: f.name, size: f.size, source: chunkedSource(store, keys.file(f.name), { size: f.size, chunkBytes: f.chunkBytes }, `converted ${f.name}`),
  }));
  return {
    modelJson: entry.modelJson,
    files,
    async readFile(name) {
      const file = files.find((f) => f.name === name);
      if (!file) throw new CacheError(`the cached converted model has no file ${name} (it has ${files.map((f) => f.name).join(', ')})`);
      return file.source.read(0, file.size);
    },
  };
}

export async function deleteGraph(store: KeyValueStore, id: GraphId): Promise<void> {
  await deletePrefix(store, keysOf(id).prefix);
}

/** Every converted graph made from `source`, whatever its options. */
export async function deleteGraphsOf(store: KeyValueStore, source: GraphSource): Promise<void> {
  await deletePrefix(store, graphSourcePrefix(graphSourceKey(source)));
}
