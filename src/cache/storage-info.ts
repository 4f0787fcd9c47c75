/**
 * Storage estimate and persistence, behind the structural slice of `navigator.storage` (the
 * browser's StorageManager fits as it is; Node tests pass an object). Chrome's quota is a share of
 * the free disk, so on a full machine it can be below a model's size (vernacula PR #103): the panel
 * shows these figures, and quota errors quote them.
 */
export interface StorageManagerLike {
  estimate(): Promise<{ usage?: number; quota?: number }>;
  persist?(): Promise<boolean>;
  persisted?(): Promise<boolean>;
}

export interface StorageStatus {
  readonly usage: number | undefined;
  readonly quota: number | undefined;
  /** quota − usage, when both are known. */
  readonly free: number | undefined;
  /** Whether the browser promised not to evict this site's data; undefined when it cannot say. */
  readonly persisted: boolean | undefined;
}

const UNKNOWN: StorageStatus = { usage: undefined, quota: undefined, free: undefined, persisted: undefined };

/** The estimate; all fields undefined without a storage manager or when the estimate fails (private windows). */
export async function storageStatus(storage: StorageManagerLike | undefined): Promise<StorageStatus> {
  if (!storage) return UNKNOWN;
  try {
    const { usage, quota } = await storage.estimate();
    const persisted = storage.persisted ? await storage.persisted() : undefined;
    const free = usage !== undefined && quota !== undefined ? Math.max(0, quota - usage) : undefined;
    return { usage, quota, free, persisted };
  } catch {
    return UNKNOWN;
  }
}

export interface PersistenceResult {
  readonly granted: boolean;
  /** Why not, in words for the panel. */
  readonly reason: string | undefined;
}

/**
 * Asks the browser to keep the cache under storage pressure. Chrome grants it silently by site
 * engagement, Firefox asks the user; a refusal is normal and the cache still works (it may be
 * evicted when the disk fills).
 */
export async function requestPersistence(storage: StorageManagerLike | undefined): Promise<PersistenceResult> {
  if (!storage?.persist) return { granted: false, reason: 'this browser cannot make storage persistent' };
  try {
    if (storage.persisted && (await storage.persisted())) return { granted: true, reason: undefined };
    const granted = await storage.persist();
    return { granted, reason: granted ? undefined : 'the browser declined; cached models may be removed if the disk fills up' };
  } catch (err) {
    return { granted: false, reason: `the persistence request failed: ${(err as Error).message}` };
  }
}

const UNITS = ['bytes', 'kB', 'MB', 'GB', 'TB'];

/** Decimal units as browsers and disk tools show them: 1 MB = 10^6 bytes. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${UNITS[unit]}`;
}
