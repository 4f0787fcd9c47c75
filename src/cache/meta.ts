import type { ChunkLayout } from './chunked-source';
import type { Validator } from './http';
import { fileKeys, type ChunkedKeys } from './keys';
import type { KeyValueStore } from './store';

/**
 * The record next to a download's chunks: enough to resume it after a reload and to read it back.
 * `partial` records are never read as a model; only `verified` ones are (after the size and, when
 * known, the SHA-256 matched).
 *
 * The SHA-256 state is not stored: @noble/hashes keeps it in protected fields with no export API,
 * so a resumed download re-hashes its stored chunks (sequential reads of its own records) first.
 */
export interface DownloadMeta {
  readonly version: 1;
  readonly url: string;
  /** The URL the bytes came from (a mirror's, GitHub's API); `url` when fetched there or dropped in. */
  readonly from: string;
  readonly state: 'partial' | 'verified';
  readonly validator: Validator;
  /** The file's size as the server (or the manifest) tells it; undefined when neither does. */
  readonly totalBytes: number | undefined;
  readonly chunkBytes: number;
  /** Chunk records stored, and the bytes in them; a partial download resumes at `bytesDone`. */
  readonly chunkCount: number;
  readonly bytesDone: number;
  readonly contentType: string | undefined;
  /** Lowercase hex digest of the whole file, set when verified. */
  readonly sha256: string | undefined;
  readonly updatedAt: number;
  /**
   * Set when only some tensors of the verified file are stored (subset.ts): the name prefixes kept
   * and the size of the safetensors file they make, in the `subset/` records. The counts above stay
   * the whole file's.
   */
  readonly subset?: { readonly prefixes: readonly string[]; readonly size: number };
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isOptional = <T>(v: unknown, check: (x: unknown) => x is T): boolean => v === undefined || v === null || check(v);
const isString = (v: unknown): v is string => typeof v === 'string';

function isSubset(v: unknown): v is DownloadMeta['subset'] {
  if (typeof v !== 'object' || v === null) return false;
  const { prefixes, size } = v as Record<string, unknown>;
  return Array.isArray(prefixes) && prefixes.every(isString) && isCount(size);
}

function isValidator(v: unknown): v is Validator {
  if (typeof v !== 'object' || v === null) return false;
  const { etag, lastModified } = v as Record<string, unknown>;
  return isOptional(etag, isString) && isOptional(lastModified, isString);
}

/** A stored meta record, or undefined when it is absent or not one we wrote (then the download starts over). */
export function parseMeta(value: unknown, url: string): DownloadMeta | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  const shapeOk = m.version === 1 && m.url === url && isOptional(m.from, isString) && (m.state === 'partial' || m.state === 'verified') && isValidator(m.validator);
  const countsOk = isCount(m.chunkBytes) && m.chunkBytes > 0 && isCount(m.chunkCount) && isCount(m.bytesDone) && isOptional(m.totalBytes, isCount);
  const restOk = isOptional(m.contentType, isString) && isOptional(m.sha256, isString) && isCount(m.updatedAt) && isOptional(m.subset, isSubset) && (m.subset == null || m.state === 'verified');
  if (!shapeOk || !countsOk || !restOk) return undefined;
  const meta = value as DownloadMeta;
  // Chunks are full except the last: a count that disagrees with the bytes is a record we cannot trust.
  const fullChunks = Math.floor(meta.bytesDone / meta.chunkBytes);
  const consistent = meta.chunkCount === Math.ceil(meta.bytesDone / meta.chunkBytes) && (meta.state === 'verified' || meta.chunkCount === fullChunks);
  if (!consistent) return undefined;
  const { subset, ...rest } = meta;
  return { ...rest, from: meta.from ?? url, totalBytes: meta.totalBytes ?? undefined, contentType: meta.contentType ?? undefined, sha256: meta.sha256 ?? undefined, ...(subset ? { subset } : {}) };
}

export async function readMeta(store: KeyValueStore, url: string): Promise<DownloadMeta | undefined> {
  return parseMeta(await store.get(fileKeys(url).meta), url);
}

export async function writeMeta(store: KeyValueStore, meta: DownloadMeta): Promise<void> {
  await store.set(fileKeys(meta.url).meta, meta);
}

export function freshMeta(url: string, from: string, chunkBytes: number, now: number): DownloadMeta {
  return { version: 1, url, from, state: 'partial', validator: {}, totalBytes: undefined, chunkBytes, chunkCount: 0, bytesDone: 0, contentType: undefined, sha256: undefined, updatedAt: now };
}

/** How the whole file's chunks are laid out (a partial download's, a verified one's before it is cut to a subset). */
export const layoutOf = (meta: DownloadMeta): ChunkLayout => ({ size: meta.bytesDone, chunkBytes: meta.chunkBytes });

/** Where a verified file's bytes are read from: its subset's records when it was cut to one, else the whole file's. */
export const storedBytesOf = (meta: DownloadMeta): { readonly keys: ChunkedKeys; readonly layout: ChunkLayout } =>
  meta.subset ? { keys: fileKeys(meta.url).subset, layout: { size: meta.subset.size, chunkBytes: meta.chunkBytes } } : { keys: fileKeys(meta.url), layout: layoutOf(meta) };
