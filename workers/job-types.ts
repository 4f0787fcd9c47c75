import { DEMO_CLIP_NAMES, type DemoClipName } from '../src/models/demo';
import type { ImageRegion } from '../src/models/swinir';
import type { GenerationSettings, StepLosses } from '../src/pipeline';
import type { Backend } from '../src/runtime';

/** Pixels crossing from the worker: RGBA bytes, transferred. */
export interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8ClampedArray;
}

/** A CLIP model that guides (a manifest id, or a demo CLIP's name) and the weight on its term. */
export interface GuideChoice {
  readonly id: string;
  readonly weight: number;
}

/** A guide as a finished job reports it: its label beside its id and weight. */
export interface LabelledGuide extends GuideChoice {
  readonly label: string;
}

/**
 * Cached models by manifest id: a diffusion model, one CLIP or several (checkpoints only: a pack
 * guides with its one), and optionally SwinIR M and L, all checkpoints or all converted (a pack's
 * 'onnx' entries); with checkpoints, optionally LPIPS-VGG for the init image's term.
 */
export interface CachedChoice {
  readonly source: 'cache';
  readonly diffusion: string;
  /** At least one. */
  readonly clips: readonly GuideChoice[];
  readonly swinirM?: string | undefined;
  readonly swinirL?: string | undefined;
  readonly lpips?: string | undefined;
  /** A model or EMA file of the studio's training run, fine-tuned from `diffusion`, to paint with instead of its weights. */
  readonly unet?: string | undefined;
}

/** The chosen models' ids, in the order their labels are shown. */
export const choiceIds = (c: CachedChoice): string[] => [c.diffusion, ...c.clips.map((g) => g.id), c.swinirM, c.swinirL, c.lpips].filter((id): id is string => id !== undefined);

/** What a training run starts from: the demo pack's UNet, or a cached diffusion checkpoint. */
export type TrainingBase = { readonly source: 'demo' } | { readonly source: 'cache'; readonly diffusion: string };

/** The demo pack with the demo CLIPs that guide (its ViT alone when not given). */
export interface DemoChoice {
  readonly source: 'demo';
  readonly clips?: readonly GuideChoice[];
  /** A model or EMA file of the studio's training run to paint with instead of the demo UNet's seeded weights. */
  readonly unet?: string | undefined;
}

/** Where the models come from: the built-in demo pack, or models in the cache (checkpoints, or a pack's converted files). */
export type ModelChoice = DemoChoice | CachedChoice;

export const DEMO_GUIDES: readonly GuideChoice[] = [{ id: DEMO_CLIP_NAMES[0]!, weight: 1 }];

/** The guides of a choice, in order. */
export const guidesOf = (c: ModelChoice): readonly GuideChoice[] => c.clips ?? DEMO_GUIDES;

export const isDemoClip = (id: string): id is DemoClipName => (DEMO_CLIP_NAMES as readonly string[]).includes(id);

/** What the loaded models depend on: the choice without the guides' weights, which only the job reads. */
export const modelsKey = (c: ModelChoice): string => JSON.stringify({ ...c, clips: guidesOf(c).map((g) => g.id) });

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
  /** The CLIP models that guided, with their labels and weights (the PNG carries them). */
  readonly guides: readonly LabelledGuide[];
  readonly backend: Backend;
}
