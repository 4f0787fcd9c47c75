import { AbortError, CacheError, isAbortError } from '../errors';
import {
  droppedMessage, hashMismatchError, htmlError, InterruptedError, QuotaError, quotaMessage, sizeMismatchError, statusError, unreachableError,
} from './cache-errors';
import { createChunkWriter } from './chunk-writer';
import {
  isHtmlContentType, looksLikeHtml, parseContentRange, rangeHeaders, totalSizeOf, validatorChanged, validatorOf,
  type FetchLike, type ResponseLike, type StreamReader,
} from './http';
import { fileKeys, type FileKeys } from './keys';
import { freshMeta, layoutOf, readMeta, writeMeta, type DownloadMeta } from './meta';
import { createProgressReporter, type DownloadProgress, type ProgressReporter } from './progress';
import { createSha256, hashStoredChunks, type Sha256 } from './sha256';
import { storeSubset } from './subset';
import { formatBytes, storageStatus, type StorageManagerLike } from './storage-info';
import { deletePrefix, isQuotaError, type KeyValueStore } from './store';

/** One file to fetch, with what the manifest knows of it (checked before the file is used). */
export interface DownloadTarget {
  readonly url: string;
  /** For messages; defaults to the URL's last path segment. */
  readonly name?: string;
  readonly size?: number;
  readonly sha256?: string;
  /** Where the bytes come from when not `url` itself (a mirror, GitHub's API); they are stored under `url`. */
  readonly fetchUrl?: string;
  /** Extra request headers (GitHub's API wants `Accept: application/octet-stream` for an asset's bytes). */
  readonly headers?: Readonly<Record<string, string>>;
  /** A checkpoint's tensor-name prefixes to keep once verified; the rest is not stored (subset.ts). */
  readonly keep?: readonly string[];
}

export interface DownloadEnv {
  readonly store: KeyValueStore;
  readonly fetch: FetchLike;
  readonly chunkBytes: number;
  readonly now: () => number;
  readonly storage: StorageManagerLike | undefined;
  /** Tries per call: a dropped connection is resumed at once while each try still brings bytes. */
  readonly maxAttempts: number;
  readonly progressIntervalMs: number;
  /**
   * After a quota error, keep the stored part for resuming (a download: the user loses nothing of
   * what came over the network) or drop it (an import: the user still has the file). Default keep.
   */
  readonly keepPartOnQuota?: boolean;
}

export interface DownloadOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: DownloadProgress) => void;
}

/** A connection that broke mid-body: the stored chunks stand and the next try resumes. */
class DroppedError extends InterruptedError {}

interface Job {
  readonly env: DownloadEnv;
  readonly target: DownloadTarget;
  readonly name: string;
  /** The URL fetched. */
  readonly from: string;
  readonly keys: FileKeys;
  readonly signal: AbortSignal | undefined;
  readonly reporter: ProgressReporter;
  meta: DownloadMeta;
  /** SHA-256 of exactly the stored chunks, so a retry can carry on from it. */
  hash: Sha256;
  /** Bytes received by the current try. */
  received: number;
}

export const fileNameOf = (url: string): string => decodeURIComponent(url.split(/[?#]/)[0]!.split('/').pop() || url);

export const fitsTarget = (meta: DownloadMeta, target: DownloadTarget): boolean =>
  (target.sha256 === undefined || meta.sha256 === target.sha256.toLowerCase()) && (target.size === undefined || meta.bytesDone === target.size);

/**
 * Downloads `target` into chunk records (or resumes the stored part) and verifies it; resolves with
 * the verified meta. A file already verified is not fetched again. Failures are CacheErrors (or
 * AbortError) whose message says what happened and what to do; after a dropped connection, offline
 * or an HTTP error the stored part is kept for resuming, after anything else nothing is kept.
 */
export async function downloadFile(env: DownloadEnv, target: DownloadTarget, options: DownloadOptions = {}): Promise<DownloadMeta> {
  const stored = await readMeta(env.store, target.url);
  if (stored?.state === 'verified' && fitsTarget(stored, target)) return stored;
  const job = newJob(env, target, options);
  try {
    await resumeOrReset(job, stored);
    await fetchWithRetries(job);
    return await verify(job);
  } catch (err) {
    throw await settleFailure(job, err);
  }
}

function newJob(env: DownloadEnv, target: DownloadTarget, options: DownloadOptions): Job {
  const reporter = createProgressReporter({ url: target.url, now: env.now, intervalMs: env.progressIntervalMs, onProgress: options.onProgress });
  const from = target.fetchUrl ?? target.url;
  const meta = freshMeta(target.url, from, env.chunkBytes, env.now());
  const name = target.name ?? fileNameOf(target.url);
  return { env, target, name, from, keys: fileKeys(target.url), signal: options.signal, reporter, meta, hash: createSha256(), received: 0 };
}

const cancelled = (job: Job): AbortError =>
  new AbortError(`download of ${job.name} cancelled; the ${formatBytes(job.meta.bytesDone)} stored so far are kept for resuming`);

function throwIfCancelled(job: Job): void {
  if (job.signal?.aborted) throw cancelled(job);
}

/** Carries on from a stored partial download of the same source (re-hashing its chunks), or starts from nothing. */
async function resumeOrReset(job: Job, stored: DownloadMeta | undefined): Promise<void> {
  if (stored?.state === 'partial' && stored.bytesDone > 0 && stored.from === job.from) {
    job.reporter.setTotal(stored.totalBytes);
    try {
      await hashStoredChunks(job.env.store, job.keys, layoutOf(stored), job.name, job.hash, (n) => {
        throwIfCancelled(job);
        job.reporter.report('rehashing', n, n === stored.bytesDone);
      });
      job.meta = stored;
      return;
    } catch (err) {
      // A stored chunk that is missing or damaged: those records cannot be resumed, start over.
      if (!(err instanceof CacheError) || isAbortError(err)) throw err;
    }
  }
  await reset(job);
}

/** Forgets every stored byte of this file: the server sent a different version, or there was nothing usable. */
async function reset(job: Job): Promise<void> {
  job.meta = freshMeta(job.target.url, job.from, job.env.chunkBytes, job.env.now());
  job.hash = createSha256();
  job.reporter.restart();
  await deletePrefix(job.env.store, job.keys.prefix);
}

async function fetchWithRetries(job: Job): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await attemptOnce(job);
      return;
    } catch (err) {
      if (!(err instanceof DroppedError) || attempt >= job.env.maxAttempts || job.received === 0) throw err;
    }
  }
}

async function attemptOnce(job: Job): Promise<void> {
  const from = job.meta.bytesDone;
  job.received = 0;
  const response = await request(job, from);
  const kind = classify(job, response, from);
  if (kind === 'stale') {
    await response.body?.getReader().cancel().catch(() => undefined);
    await reset(job);
    return attemptOnce(job);
  }
  // 200 to a ranged request: the server ignored Range, or If-Range found the file changed. Either
  // way this body is the whole (current) file, so it replaces what was stored.
  if (kind === 'whole' && from > 0) await reset(job);
  await begin(job, response);
  await stream(job, response.body!.getReader());
}

/**
 * Fetches from byte `from`. A cross-origin If-Range header needs a CORS preflight (it is not a
 * safelisted header; a single `bytes=N-` Range is), which servers that allow plain GETs may refuse:
 * then the request is made once more with Range alone, and the response's validator and the final
 * verification stand in for If-Range.
 */
async function request(job: Job, from: number): Promise<ResponseLike> {
  const headers = { ...job.target.headers, ...rangeHeaders(from, job.meta.validator) };
  try {
    return await fetchOnce(job, headers);
  } catch (err) {
    throwIfCancelled(job);
    if (!headers['If-Range']) throw unreachableError(job.from, err);
    const rangeOnly = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'If-Range'));
    return fetchOnce(job, rangeOnly).catch((again: unknown) => {
      throwIfCancelled(job);
      throw unreachableError(job.from, again);
    });
  }
}

const fetchOnce = (job: Job, headers: Record<string, string>): Promise<ResponseLike> =>
  job.env.fetch(job.from, { headers, ...(job.signal ? { signal: job.signal } : {}) });

/**
 * 'whole': a full body (200); 'rest': the bytes from `from` on, of the version stored; 'stale': the
 * stored part belongs to another version (validator or size changed, range refused) and must go.
 */
function classify(job: Job, response: ResponseLike, from: number): 'whole' | 'rest' | 'stale' {
  if (response.status === 200) return 'whole';
  if (response.status === 206) {
    const range = parseContentRange(response.headers.get('content-range'));
    const sizeChanged = range?.total !== undefined && job.meta.totalBytes !== undefined && range.total !== job.meta.totalBytes;
    // Cross-origin responses hide Content-Range unless exposed: then only the verification can tell.
    const fits = (range === undefined || range.start === from) && !sizeChanged && !validatorChanged(job.meta.validator, validatorOf(response));
    if (fits) return 'rest';
    if (from > 0) return 'stale';
  }
  if (response.status === 416 && from > 0) return 'stale';
  throw statusError(job.from, response);
}

/** Checks the response is a file, and on a fresh start records what identifies its version. */
async function begin(job: Job, response: ResponseLike): Promise<void> {
  if (isHtmlContentType(response.headers.get('content-type'))) throw htmlError(job.from);
  if (!response.body) throw new CacheError(`${job.from} answered HTTP ${response.status} with no body`);
  if (job.meta.bytesDone === 0) {
    const totalBytes = totalSizeOf(response) ?? job.target.size;
    const contentType = response.headers.get('content-type') ?? undefined;
    job.meta = { ...job.meta, validator: validatorOf(response), totalBytes, contentType, updatedAt: job.env.now() };
    await checkRoom(job, totalBytes);
    await writeMeta(job.env.store, job.meta);
  }
  job.reporter.setTotal(job.meta.totalBytes);
  job.reporter.report('downloading', job.meta.bytesDone, true);
}

/** Refuses up front when the estimate says the file cannot fit, rather than after filling the disk. */
async function checkRoom(job: Job, totalBytes: number | undefined): Promise<void> {
  if (totalBytes === undefined || !job.env.storage) return;
  const status = await storageStatus(job.env.storage);
  if (status.free !== undefined && status.free < totalBytes) throw new CacheError(quotaMessage(job.name, { needed: totalBytes, kept: 0 }, status));
}

async function stream(job: Job, reader: StreamReader): Promise<void> {
  const writer = createChunkWriter({
    store: job.env.store, keys: job.keys, chunkBytes: job.meta.chunkBytes, startIndex: job.meta.chunkCount, onStored: (chunk) => stored(job, chunk),
  });
  const sniffer = createHtmlSniffer(job.meta.bytesDone === 0, job.from);
  try {
    for (;;) {
      throwIfCancelled(job);
      const { done, value } = await readOrDrop(job, reader);
      if (done) break;
      if (!value?.length) continue;
      sniffer.add(value);
      job.received += value.length;
      await writer.push(value);
      job.reporter.report('downloading', job.meta.bytesDone + writer.buffered());
    }
    sniffer.end();
    await writer.finish();
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    throw err;
  }
  checkComplete(job);
}

async function readOrDrop(job: Job, reader: StreamReader): Promise<{ done: boolean; value?: Uint8Array | undefined }> {
  try {
    return await reader.read();
  } catch (err) {
    throwIfCancelled(job);
    throw new DroppedError(droppedMessage(job.from, job.meta.bytesDone, job.meta.totalBytes, err));
  }
}

/** After each chunk record: the hash and the meta move on together, so a reload resumes exactly here. */
async function stored(job: Job, chunk: Uint8Array): Promise<void> {
  job.hash.update(chunk);
  const { chunkCount, bytesDone } = job.meta;
  job.meta = { ...job.meta, chunkCount: chunkCount + 1, bytesDone: bytesDone + chunk.byteLength, updatedAt: job.env.now() };
  await writeMeta(job.env.store, job.meta);
}

/** Looks at the first bytes of a fresh download once enough have arrived (or the body ended). */
function createHtmlSniffer(active: boolean, url: string) {
  const HEAD = 64;
  let head = new Uint8Array(0);
  let checked = !active;
  const check = () => {
    checked = true;
    if (looksLikeHtml(head)) throw htmlError(url);
  };
  return {
    add(bytes: Uint8Array) {
      if (checked) return;
      const next = new Uint8Array(Math.min(HEAD, head.length + bytes.length));
      next.set(head);
      next.set(bytes.subarray(0, next.length - head.length), head.length);
      head = next;
      if (head.length >= HEAD) check();
    },
    end: () => void (checked || check()),
  };
}

function checkComplete(job: Job): void {
  const { bytesDone, totalBytes } = job.meta;
  if (totalBytes !== undefined && bytesDone < totalBytes) {
    throw new DroppedError(droppedMessage(job.from, bytesDone, totalBytes, new Error('the body ended early')));
  }
}

async function verify(job: Job): Promise<DownloadMeta> {
  const { meta, target, name } = job;
  job.reporter.report('verifying', meta.bytesDone, true);
  if (target.size !== undefined && meta.bytesDone !== target.size) throw sizeMismatchError(name, meta.bytesDone, target.size, 'the manifest');
  if (meta.totalBytes !== undefined && meta.bytesDone !== meta.totalBytes) throw sizeMismatchError(name, meta.bytesDone, meta.totalBytes, 'the server');
  const digest = job.hash.hex();
  if (target.sha256 !== undefined && digest !== target.sha256.toLowerCase()) throw hashMismatchError(name, digest, target.sha256);
  const verified: DownloadMeta = { ...meta, state: 'verified', sha256: digest, totalBytes: meta.bytesDone, updatedAt: job.env.now() };
  if (target.keep) job.meta = await storeSubset(job.env.store, verified, target.keep, name);
  else await writeMeta(job.env.store, (job.meta = verified));
  job.reporter.report('done', meta.bytesDone, true);
  return job.meta;
}

/**
 * Decides what stays after a failure. Cancelled or interrupted: the stored chunks are good and kept.
 * Out of quota: every stored chunk is good too (each meta update follows its chunk's write, so a
 * failed write leaves the meta at the last stored chunk): a download keeps them for Resume once
 * room is made, an import drops them. Anything else (HTML, wrong size or hash, a broken store):
 * every record of the file goes, so nothing half-written or wrong can be read as valid later.
 */
async function settleFailure(job: Job, err: unknown): Promise<unknown> {
  if (isAbortError(err) || err instanceof InterruptedError) return err;
  const quota = isQuotaError(err);
  const keep = quota && job.env.keepPartOnQuota !== false && job.meta.bytesDone > 0;
  if (!keep) await deletePrefix(job.env.store, job.keys.prefix).catch(() => undefined);
  if (!quota) return err;
  const { totalBytes, bytesDone } = job.meta;
  const figures = { needed: totalBytes !== undefined ? totalBytes - (keep ? bytesDone : 0) : undefined, kept: keep ? bytesDone : 0 };
  const message = quotaMessage(job.name, figures, await storageStatus(job.env.storage));
  return keep ? new QuotaError(message) : new CacheError(message);
}
