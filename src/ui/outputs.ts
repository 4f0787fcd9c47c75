import { encodePng } from '../png';
import type { JobImage, JobResult, Pixels } from '../../workers/job-types';
import type { OutputImage } from './jobs';
import { pngText, type ImageFacts } from './png-metadata';
import type { StudioSettings } from './settings';

function pngOf(pixels: Pixels, settings: StudioSettings, facts: Omit<ImageFacts, 'width' | 'height'>) {
  const png = encodePng({ width: pixels.width, height: pixels.height, data: pixels.rgba }, pngText(settings, { ...facts, width: pixels.width, height: pixels.height }));
  const blob = new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' });
  return { png: blob, url: URL.createObjectURL(blob), width: pixels.width, height: pixels.height };
}

/** The job's images as PNGs carrying the settings (the ×4 one says which SwinIR made it). */
export function outputImages(result: JobResult, settings: StudioSettings, fromDemo: boolean): OutputImage[] {
  const facts = { model: fromDemo ? 'demo pack (tiny random models)' : result.modelLabel, backend: result.backend, guides: result.guides };
  const upscaledBy = settings.upscale === 'off' ? undefined : settings.upscale;
  return result.images.map((image: JobImage) => ({
    ...pngOf(image, settings, facts),
    ...(image.sr && upscaledBy ? { sr: pngOf(image.sr, settings, { ...facts, upscaledBy }) } : {}),
  }));
}

export function revokeOutputs(images: readonly OutputImage[]): void {
  for (const image of images) {
    URL.revokeObjectURL(image.url);
    if (image.sr) URL.revokeObjectURL(image.sr.url);
  }
}
