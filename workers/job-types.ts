import type { ImageRegion } from '../src/models/swinir';
import type { GenerationSettings, StepLosses } from '../src/pipeline';
import type { Backend } from '../src/runtime';

/** Pixels crossing from the worker: RGBA bytes, transferred. */
export interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8ClampedArray;
}

/**
 * Cached models by manifest id: a diffusion model, a CLIP, and optionally SwinIR M and L, all
 * checkpoints or all converted (a pack's 'onnx' entries); with checkpoints, optionally LPIPS-VGG
 * for the init image's term.
 */
export interface CachedChoice {
  readonly source: 'cache';
  readonly diffusion: string;
  readonly clip: string;
  readonly swinirM?: string | undefined;
  readonly swinirL?: string | undefined;
  readonly lpips?: string | undefined;
}

/** The chosen models' ids, in the order their labels are shown. */
export const choiceIds = (c: CachedChoice): string[] => [c.diffusion, c.clip, c.swinirM, c.swinirL, c.lpips].filter((id): id is string => id !== undefined);

/** Where the models come from: the built-in demo pack, or models in the cache (checkpoints, or a pack's converted files). */
export type ModelChoice = { readonly source: 'demo' } | CachedChoice;

export interface JobRequest {
  readonly settings: GenerationSettings;
  readonly models: ModelChoice;
  readonly previewEvery: number;
}

/** A generation event as the page receives it: previews as pixels, not planar floats. */
export type JobEvent =
  | { readonly type: 'loading'; readonly message: string }
  | { readonly type: 'notice'; readonly message: string }
  | {
      readonly type: 'step'; readonly sample: number; readonly batchIndex: number; readonly step: number; readonly steps: number;
      readonly doneSteps: number; readonly totalSteps: number; readonly timestep: number; readonly elapsedMs: number;
      readonly losses?: StepLosses; readonly preview?: Pixels;
    }
  | { readonly type: 'upscale'; readonly sample: number; readonly batchIndex: number; readonly tile: number; readonly tiles: number; readonly region: ImageRegion; readonly elapsedMs: number };

export interface JobImage extends Pixels {
  readonly sample: number;
  readonly batchIndex: number;
  readonly sr?: Pixels;
}

export interface JobResult {
  readonly images: readonly JobImage[];
  /** Which models ran, for the PNG metadata and the label ("Demo pack: …"). */
  readonly modelLabel: string;
  readonly backend: Backend;
}
