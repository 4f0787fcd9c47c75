import type { ModelEntry, ModelManifest, ModelStatus, StorageStatus } from '../cache';
import type { ModelProgress } from '../../workers/model-service';

/** The models panel's slice of the store. */
export interface ModelsState {
  readonly manifest?: ModelManifest;
  /** Why the `?pack=` URL could not be used. */
  readonly packError?: string | undefined;
  /** The pack's host was out of reach: when the copy in use was saved. */
  readonly packSavedAt?: number | undefined;
  readonly statuses: Readonly<Record<string, ModelStatus>>;
  /** Transfers and imports in flight, by model id. */
  readonly progress: Readonly<Record<string, ModelProgress>>;
  /** The bytes each file's transfer reached this session, by URL (for one progress over several models). */
  readonly fileBytes: Readonly<Record<string, number>>;
  /** Model ids with an operation running (download, import, conversion, delete). */
  readonly busy: Readonly<Record<string, boolean>>;
  /** The last failure per model, in words. */
  readonly errors: Readonly<Record<string, string>>;
  readonly storage?: StorageStatus;
  readonly persistence?: string;
  /** A failure not tied to one model (delete all, storage). */
  readonly error?: string | undefined;
}

export const EMPTY_MODELS: ModelsState = { statuses: {}, progress: {}, fileBytes: {}, busy: {}, errors: {} };

/** A download that failed because the browser may not fetch the URL: the panel offers the drop zone. */
export const isUnreachable = (message: string | undefined): boolean => Boolean(message?.includes('cannot be fetched from the browser'));

/** The manifest's models whose every file is in the cache and verified. */
export const verifiedModels = (manifest: ModelManifest | undefined, statuses: Readonly<Record<string, ModelStatus>>): ModelEntry[] =>
  (manifest?.models ?? []).filter((m) => statuses[m.id]?.state === 'verified');
