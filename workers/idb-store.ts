import { createStore, del, get, keys, set } from 'idb-keyval';
import type { KeyValueStore } from '../src/cache';

/**
 * The model cache's store in the browser: one IndexedDB object store through idb-keyval. Each call
 * is its own transaction; a full origin quota rejects `set` with a QuotaExceededError DOMException,
 * which the cache turns into a CacheError quoting the storage estimate.
 */
export function idbStore(dbName = 'clip-diffusion-web', storeName = 'model-cache'): KeyValueStore {
  const store = createStore(dbName, storeName);
  return {
    get: (key) => get<unknown>(key, store),
    set: (key, value) => set(key, value, store),
    del: (key) => del(key, store),
    keys: () => keys<string>(store),
  };
}
