import type { UpscaleProgress } from '../models/swinir/index';
import type { PlanarImage } from '../models/swinir/index';

/** A rendered image: planar RGB in [0, 1] and its 8-bit RGBA (×255 truncated, as to_pil_image, spec §9). */
export interface RenderedImage {
  readonly image: PlanarImage;
  readonly rgba: Uint8ClampedArray;
}

/** The loss terms of one cond_fn call (spec §7 step 8): CLIP per cutn batch (unscaled), the scaled others, the gradient's RMS before the clamp. */
export interface StepLosses {
  readonly clip: readonly number[];
  readonly tv: number;
  readonly range: number;
  readonly saturation: number;
  /** Σ LPIPS(x_in, init), unscaled, when the init term runs. */
  readonly init?: number;
  readonly gradRms: number;
}

interface JobPosition {
  /** Sample i of num_samples, image k of batch_size. */
  readonly sample: number;
  readonly batchIndex: number;
}

export interface StepProgress extends JobPosition {
  readonly type: 'step';
  /** 0-based within this image, of `steps`. */
  readonly step: number;
  readonly steps: number;
  /** Steps done across the job (1-based after this one) of `totalSteps`: with elapsedMs, enough for an ETA. */
  readonly doneSteps: number;
  readonly totalSteps: number;
  readonly timestep: number;
  readonly losses?: StepLosses;
  readonly stepMs: number;
  readonly elapsedMs: number;
  /** The step's unguided x̂0 (what the fork saves per step), every previewEvery steps and at the last. */
  readonly preview?: RenderedImage;
}

export interface UpscaleProgressEvent extends JobPosition, UpscaleProgress {
  readonly type: 'upscale';
  readonly elapsedMs: number;
}

export interface NoticeEvent {
  readonly type: 'notice';
  readonly message: string;
}

export type GenerationEvent = StepProgress | UpscaleProgressEvent | NoticeEvent;

export interface GeneratedImage extends JobPosition, RenderedImage {
  /** SwinIR x4 of the image (clamped to [0, 1]) when settings.upscale is not 'off'. */
  readonly sr?: RenderedImage;
}
