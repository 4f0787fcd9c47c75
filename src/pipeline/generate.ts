import { SettingsError, throwIfAborted, type CancelSignal } from '../errors';
import { unitChwToRgba } from '../image/unit-chw';
import { planarImage, type PlanarImage, type UpscaleProgress } from '../models/swinir/index';
import { finalImage, gradRms } from '../sampling/index';
import { prepareJob, sampleImage, type Job } from './job';
import type { LoadedModels } from './models';
import type { GeneratedImage, GenerationEvent, RenderedImage, StepLosses } from './progress';
import { initLossNotice, type GenerationSettings } from './settings';

export interface GenerateOptions {
  readonly onProgress?: (event: GenerationEvent) => void;
  /** Checked between steps and between graph runs inside a step. */
  readonly signal?: CancelSignal;
  /** A preview every N steps (and at the last); default 5. */
  readonly previewEvery?: number;
}

/** A [1,3,S,S] image in [0, 1] as planar RGB and RGBA bytes (×255 truncated). */
export function render(unit: Float32Array, size: number): RenderedImage {
  return { image: planarImage(3, size, size, unit), rgba: unitChwToRgba(unit, size, size) };
}

async function upscale(models: LoadedModels, s: GenerationSettings, image: PlanarImage, report: (p: UpscaleProgress) => void, signal?: CancelSignal): Promise<RenderedImage | undefined> {
  if (s.upscale === 'off') return undefined;
  const upscaler = models.upscalers[s.upscale];
  if (!upscaler) throw new SettingsError(`upscale '${s.upscale}' needs the SwinIR-${s.upscale} model, which is not loaded`);
  const sr = await upscaler.predict(image, { onProgress: report, ...(signal && { signal }) });
  return { image: sr, rgba: unitChwToRgba(sr.data, sr.height, sr.width) };
}

interface Clock {
  readonly start: number;
  done: number;
  readonly total: number;
}

async function oneImage(job: Job, models: LoadedModels, at: { sample: number; batchIndex: number }, clock: Clock, o: GenerateOptions): Promise<GeneratedImage> {
  const size = models.imageSize;
  let losses: StepLosses | undefined;
  let stepStart = performance.now();
  const result = await sampleImage(job, {
    previewEvery: o.previewEvery ?? 5,
    ...(o.signal && { signal: o.signal }),
    onCondFn: (r) => (losses = { clip: r.clipLosses, tv: r.tvLoss, range: r.rangeLoss, saturation: r.satLoss, ...(r.initLoss !== undefined && { init: r.initLoss }), gradRms: gradRms(r.gradUnclamped) }),
    onStep: (e) => {
      const now = performance.now();
      clock.done += 1;
      const preview = e.preview && render(finalImage(e.preview), size);
      o.onProgress?.({ type: 'step', ...at, step: e.step, steps: e.steps, doneSteps: clock.done, totalSteps: clock.total, timestep: e.timestep, ...(losses && { losses }), stepMs: now - stepStart, elapsedMs: now - clock.start, ...(preview && { preview }) });
      stepStart = now;
    },
  });
  const rendered = render(finalImage(result.predXstart), size);
  const sr = await upscale(models, job.settings, rendered.image, (p) => o.onProgress?.({ type: 'upscale', ...at, ...p, elapsedMs: performance.now() - clock.start }), o.signal);
  return { ...at, ...rendered, ...(sr && { sr }) };
}

/**
 * clip-diffusion-art's `sample()` and `main` (spec §1.3, §2): num_samples × batch_size images,
 * each the last step's unguided x̂0 in [0, 1], optionally through SwinIR. Batch images are sampled
 * one after another, each with its own noise (the guidance graph is batch 1; upstream ignores
 * --batch_size). The sessions stay with `models`; per-step arrays are dropped after each step.
 */
export async function generate(settings: GenerationSettings, models: LoadedModels, o: GenerateOptions = {}): Promise<GeneratedImage[]> {
  const notice = initLossNotice(settings, models);
  if (notice) o.onProgress?.({ type: 'notice', message: notice });
  const job = await prepareJob(settings, models, o.signal);
  const steps = job.schedule.numTimesteps - settings.skipTimesteps;
  const clock: Clock = { start: performance.now(), done: 0, total: steps * settings.numSamples * settings.batchSize };
  const images: GeneratedImage[] = [];
  for (let sample = 0; sample < settings.numSamples; sample++) {
    for (let batchIndex = 0; batchIndex < settings.batchSize; batchIndex++) {
      throwIfAborted(o.signal, 'generation');
      images.push(await oneImage(job, models, { sample, batchIndex }, clock, o));
    }
  }
  return images;
}
