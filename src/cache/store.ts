/**
 * The storage the cache writes to: string keys to values, all async, shaped like idb-keyval's
 * `get/set/del/keys` so the browser adapter (workers/idb-store.ts) is a one-liner per method.
 * Every cache function takes the store as an argument; there is no global store.
 *
 * Values are `Uint8Array` chunk records and plain JSON-like objects (meta records). A store must keep
 * a copy, not the caller's object (IndexedDB structured-clones on `set`).
 */
export interface KeyValueStore {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  del(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

/** What IndexedDB throws when the origin's quota is used up (a DOMException with this name). */
export const QUOTA_ERROR_NAME = 'QuotaExceededError';

/** Firefox's name for the same failure in some versions (NS_ERROR_DOM_QUOTA_REACHED). */
const QUOTA_NAMES = new Set([QUOTA_ERROR_NAME, 'NS_ERROR_DOM_QUOTA_REACHED']);
/** DOMException's legacy code for QuotaExceededError. */
const QUOTA_CODE = 22;

/**
 * Whether a store failure means "the origin's quota is used up", in the shapes browsers give it:
 * Chromium rejects idb-keyval's `set` with the aborted transaction's error, a `QuotaExceededError`
 * (a DOMException, its own subclass from Chromium 140, with an empty message; e2e storage.test.ts
 * sees it under `Storage.overrideQuotaForOrigin`); a wrapper may carry it as `cause`; an abort or
 * unknown error may only say "quota" in its message (Chromium's blob-backed large values, Safari).
 */
export function isQuotaError(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 4) return false;
  const { name, code, message, cause } = err as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown };
  if (typeof name === 'string' && QUOTA_NAMES.has(name)) return true;
  if (code === QUOTA_CODE && name !== undefined) return true;
  if ((name === 'AbortError' || name === 'UnknownError') && typeof message === 'string' && /quota/i.test(message)) return true;
  return isQuotaError(cause, depth + 1);
}

export interface MemoryStoreOptions {
  /** Total bytes the store may hold; a `set` past it throws a QuotaExceededError as IndexedDB does. */
  readonly quotaBytes?: number;
}

export interface MemoryStore extends KeyValueStore {
  /** Bytes held now (chunk bytes plus JSON length of other values). */
  usedBytes(): number;
}

/** Size charged against the quota: the bytes of a chunk, the JSON text of anything else. */
function chargedBytes(value: unknown): number {
  return value instanceof Uint8Array ? value.byteLength : JSON.stringify(value ?? null).length;
}

/** A copy, as IndexedDB's structured clone makes: later changes to the caller's object do not leak in. */
function copyOf(value: unknown): unknown {
  if (value instanceof Uint8Array) return value.slice();
  return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown);
}

function quotaError(need: number, free: number): Error {
  const err = new Error(`memory store quota exceeded: ${need} bytes asked, ${free} free`);
  err.name = QUOTA_ERROR_NAME;
  return err;
}

/** An in-memory store (tests, Node tools). With `quotaBytes` it refuses writes past the quota. */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const records = new Map<string, unknown>();
  let used = 0;
  const quota = options.quotaBytes ?? Number.POSITIVE_INFINITY;
  return {
    get: (key) => Promise.resolve(copyOf(records.get(key))),
    set(key, value) {
      const before = records.has(key) ? chargedBytes(records.get(key)) : 0;
      const after = chargedBytes(value);
      if (used - before + after > quota) return Promise.reject(quotaError(after, quota - used + before));
      records.set(key, copyOf(value));
      used += after - before;
      return Promise.resolve();
    },
    del(key) {
      if (records.has(key)) used -= chargedBytes(records.get(key));
      records.delete(key);
      return Promise.resolve();
    },
    keys: () => Promise.resolve([...records.keys()]),
    usedBytes: () => used,
  };
}

/** Deletes every key that starts with `prefix`; returns how many went. */
export async function deletePrefix(store: KeyValueStore, prefix: string): Promise<number> {
  const doomed = (await store.keys()).filter((k) => k.startsWith(prefix));
  for (const key of doomed) await store.del(key);
  return doomed.length;
}
