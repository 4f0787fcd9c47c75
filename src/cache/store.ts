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

export const isQuotaError = (err: unknown): boolean => err instanceof Error && err.name === QUOTA_ERROR_NAME;

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
