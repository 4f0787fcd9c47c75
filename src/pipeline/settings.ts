import { SettingsError } from '../errors';
import type { LossFn } from '../models/guidance/index';

/** An RGBA image as a canvas or a PNG decoder gives it (the init image and image prompts). */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array | Uint8ClampedArray;
}

export interface ImagePrompt {
  readonly image: RgbaImage;
  readonly weight: number;
  /** For messages and metadata (a file name). */
  readonly label?: string;
}

/** 'M' and 'L' are SwinIR real-SR x4 (`--sr_model_path`, `--large_sr`), spec §10. */
export type Upscale = 'off' | 'M' | 'L';

/**
 * Every option of clip-diffusion-art's sample.py that changes the image, named as there (spec §1.1),
 * in camelCase. Scales are the values given BEFORE `scale_multiplier` (calculate_scale_multiplier
 * applies it once per sample).
 */
export interface GenerationSettings {
  /** `text:weight` strings (parse_prompt, spec §4.1). */
  readonly prompts: readonly string[];
  readonly imagePrompts: readonly ImagePrompt[];
  /**
   * Departs from upstream, where --init_image crashes (spec §7.6): cover-resized with Lanczos,
   * centre-cropped and used as the q_sample start, and the LPIPS init loss pulls towards it.
   */
  readonly initImage?: RgbaImage;
  /** `ddimN` (DDIM) or `N` (DDPM); ddim150 has no stride for 1000 steps and is refused. */
  readonly sampling: string;
  readonly diffusionSteps: number;
  readonly skipTimesteps: number;
  readonly clipDenoised: boolean;
  readonly eta: number;
  readonly cutn: number;
  readonly cutnBatches: number;
  readonly skipAugs: boolean;
  readonly lossFn: LossFn;
  readonly clipGuidanceScale: number;
  readonly tvScale: number;
  readonly rangeScale: number;
  readonly saturationScale: number;
  /** Used only with an init image, by the LPIPS term (when LPIPS-VGG is loaded; see initLossNotice). */
  readonly initScale: number;
  readonly scaleMultiplier: number;
  readonly disableGradClamp: boolean;
  readonly numSamples: number;
  /** Honoured (upstream ignores it, spec §15.2): each of the batch's images is sampled with its own noise. */
  readonly batchSize: number;
  readonly seed: number;
  readonly upscale: Upscale;
  /**
   * Beyond the seed: one weight per CLIP model that guides (LoadedModels.cutSizes), multiplying
   * clip_guidance_scale for its term; absent, each guides with weight 1.
   */
  readonly guideWeights?: readonly number[];
}

/** sample.py's CLI defaults (spec §1.2). */
export const defaultSettings: GenerationSettings = {
  prompts: [],
  imagePrompts: [],
  sampling: 'ddim50',
  diffusionSteps: 1000,
  skipTimesteps: 5,
  clipDenoised: false,
  eta: 0,
  cutn: 30,
  cutnBatches: 4,
  skipAugs: false,
  lossFn: 'spherical',
  clipGuidanceScale: 5000,
  tvScale: 100,
  rangeScale: 150,
  saturationScale: 0,
  initScale: 1000,
  scaleMultiplier: 50,
  disableGradClamp: false,
  numSamples: 1,
  batchSize: 1,
  seed: 47,
  upscale: 'off',
};

/** What the CLI and the UI show when an init image is given with init_scale ≠ 0 but LPIPS-VGG is not loaded. */
export const INIT_LOSS_NOTICE =
  "init image: the LPIPS init loss (init_scale) is off: LPIPS-VGG (torchvision's VGG16 and LPIPS's linear weights) is not loaded, so the init image only sets the starting point (q_sample at the first step)";

/** The settings ask for the init image's LPIPS term (spec §7 step 7): an init image and init_scale ≠ 0. */
const wantsInitLoss = (s: GenerationSettings): boolean => Boolean(s.initImage && s.initScale !== 0);

/** Whether a job with these settings runs the term on these models. */
export const initLossRuns = (s: GenerationSettings, models: { readonly initLoss?: boolean }): boolean => wantsInitLoss(s) && Boolean(models.initLoss);

/** The notice to show for these settings on these models, if any. */
export const initLossNotice = (s: GenerationSettings, models: { readonly initLoss?: boolean }): string | undefined =>
  wantsInitLoss(s) && !models.initLoss ? INIT_LOSS_NOTICE : undefined;

function positiveInteger(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new SettingsError(`${name} must be a positive integer, got ${v}`);
}

/** Checks what the sampler's own checks do not reach, before any model runs. */
export function validateSettings(s: GenerationSettings): void {
  if (s.prompts.length === 0 && s.imagePrompts.length === 0) throw new SettingsError('At least one text or image prompt must be specified.');
  for (const [name, v] of [['cutn', s.cutn], ['cutn_batches', s.cutnBatches], ['num_samples', s.numSamples], ['batch_size', s.batchSize], ['diffusion_steps', s.diffusionSteps]] as const) positiveInteger(name, v);
  if (!Number.isInteger(s.seed)) throw new SettingsError(`seed must be an integer, got ${s.seed}`);
  if (!(s.eta >= 0)) throw new SettingsError(`eta must be ≥ 0, got ${s.eta}`);
  for (const [name, v] of Object.entries({ clip_guidance_scale: s.clipGuidanceScale, tv_scale: s.tvScale, range_scale: s.rangeScale, saturation_scale: s.saturationScale, init_scale: s.initScale, scale_multiplier: s.scaleMultiplier })) {
    if (!Number.isFinite(v)) throw new SettingsError(`${name} must be a finite number, got ${v}`);
  }
  for (const w of s.guideWeights ?? []) if (!Number.isFinite(w)) throw new SettingsError(`a guide weight must be a finite number, got ${w}`);
}
