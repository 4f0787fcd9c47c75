import type { ModelEntry, ModelKind, ModelManifest, ModelStatus, StorageStatus } from '../cache';
import type { CachedChoice } from '../../workers/job-types';
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

/**
 * A diffusion model, a CLIP and a SwinIR-M of one format (checkpoints, or a pack's converted
 * models; the worker runs no mix), the given diffusion model's if any, checkpoints first otherwise;
 * LPIPS (only ever a checkpoint) with checkpoints.
 */
export function firstOf(verified: readonly ModelEntry[], diffusionId?: string): CachedChoice | undefined {
  const wanted = verified.find((m) => m.id === diffusionId)?.format;
  for (const format of wanted ? [wanted] : (['checkpoint', 'onnx'] as const)) {
    const pick = (kind: ModelKind) => verified.find((m) => m.kind === kind && m.format === format && (kind !== 'diffusion' || !diffusionId || m.id === diffusionId))?.id;
    const [diffusion, clip] = [pick('diffusion'), pick('clip')];
    if (diffusion && clip) return { source: 'cache', diffusion, clips: [{ id: clip, weight: 1 }], swinirM: pick('swinir'), lpips: pick('lpips') };
  }
  return undefined;
}

