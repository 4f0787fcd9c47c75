import type { StudioSettings } from '../../settings';

type NumberKey = { [K in keyof StudioSettings]: StudioSettings[K] extends number ? K : never }[keyof StudioSettings];
type BoolKey = { [K in keyof StudioSettings]: StudioSettings[K] extends boolean ? K : never }[keyof StudioSettings];

export interface NumberSpec {
  readonly key: NumberKey;
  /** sample.py's option name (spec §1.1), so people can match the seed's docs. */
  readonly label: string;
  readonly integer?: boolean;
  readonly min?: number;
}

/** Every numeric sampler option of the seed not shown elsewhere (seed, skip steps, init scale, images). */
export const NUMBER_FIELDS: readonly NumberSpec[] = [
  { key: 'diffusionSteps', label: 'diffusion_steps', integer: true, min: 1 },
  { key: 'clipGuidanceScale', label: 'clip_guidance_scale' },
  { key: 'tvScale', label: 'tv_scale' },
  { key: 'rangeScale', label: 'range_scale' },
  { key: 'saturationScale', label: 'saturation_scale' },
  { key: 'scaleMultiplier', label: 'scale_multiplier' },
  { key: 'cutn', label: 'cutn', integer: true, min: 1 },
  { key: 'cutnBatches', label: 'cutn_batches', integer: true, min: 1 },
  { key: 'eta', label: 'eta', min: 0 },
  { key: 'batchSize', label: 'batch_size', integer: true, min: 1 },
  { key: 'previewEvery', label: 'Preview every N steps', integer: true, min: 1 },
];

export const BOOL_FIELDS: readonly { readonly key: BoolKey; readonly label: string }[] = [
  { key: 'clipDenoised', label: 'clip_denoised' },
  { key: 'skipAugs', label: 'skip_augs' },
  { key: 'disableGradClamp', label: 'disable_grad_clamp' },
];
