import { optimize, serialize } from '../graph';
import { unitChwToRgba } from '../image/unit-chw';
import { PlaceholderWeights } from '../models/weights';
import { buildUnetGraph, UNET_INPUTS, type UnetConfig, type UnetFlags } from '../models/unet/index';
import { hostTensor, type Runtime } from '../runtime';
import { createRng } from '../sampling/rng';
import { createSchedule, type NoiseSchedule } from '../sampling/schedule';
import { finalImage, sampleLoop } from '../sampling/loop';
import type { Tensors } from './optimizer';

/** What the preview samples with: few DDIM steps, no guidance, the same seed each time so previews compare. */
export interface PreviewOptions {
  readonly respacing: string;
  readonly seed: number;
}

export const PREVIEW_DEFAULTS: PreviewOptions = { respacing: 'ddim25', seed: 0 };

/**
 * An unguided sample of the model as training leaves it (the seed's sampler without cond_fn), as
 * RGBA bytes of image_size²: what the fine-tune paints now. The parameters are fed as inputs, so one
 * graph serves every preview of a run.
 */
export async function previewSample(runtime: Runtime, config: UnetConfig, flags: UnetFlags, params: Tensors, o: PreviewOptions = PREVIEW_DEFAULTS): Promise<Uint8ClampedArray> {
  const weights = new PlaceholderWeights();
  const graph = buildUnetGraph(config, weights);
  const session = await runtime.createSession(serialize(optimize(graph)));
  const size = config.imageSize;
  const shape = [1, config.inChannels, size, size] as const;
  const paramFeeds = Object.fromEntries([...weights.shapes.keys()].map((n) => [n, hostTensor('float32', graph.lookup(n).shape, params.get(n)!)]));
  try {
    const { predXstart } = await sampleLoop({
      schedule: createSchedule({ steps: Number(flags.diffusion_steps), respacing: o.respacing, noiseSchedule: flags.noise_schedule as NoiseSchedule, rescaleTimesteps: Boolean(flags.rescale_timesteps) }),
      method: 'ddim',
      shape: [...shape],
      rng: createRng(o.seed),
      clipDenoised: true,
      model: async (x, t) => (await session.run({ ...paramFeeds, [UNET_INPUTS.x]: hostTensor('float32', shape, x), [UNET_INPUTS.t]: hostTensor('float32', [1], Float32Array.of(t)) })).out!.data as Float32Array,
    });
    return unitChwToRgba(finalImage(predXstart), size, size);
  } finally {
    await session.dispose();
  }
}
