import { ShapeError } from '../errors';
import { UNET_INPUTS } from '../models/unet/index';
import { hostTensor, type Session } from '../runtime';
import type { DiffusionModel } from './loop';
import type { SampleShape } from './p-mean-variance';

/**
 * The UNet graph's session (src/models/unet `buildUnetGraph`, built for this batch and size) as the
 * loop's model: x [B,C,H,W] and the model timestep, the same for every batch element (spec §8.7),
 * → `out`. Unconditional models only, as clip-diffusion-art never passes class labels (spec §8.7).
 */
export function sessionModel(session: Pick<Session, 'run'>, shape: SampleShape): DiffusionModel {
  const batch = shape[0];
  return async (x, t) => {
    const outputs = await session.run({
      [UNET_INPUTS.x]: hostTensor('float32', shape, x),
      [UNET_INPUTS.t]: hostTensor('float32', [batch], new Float32Array(batch).fill(t)),
    });
    const out = outputs.out;
    if (out?.dtype !== 'float32') throw new ShapeError(`the UNet session gave no float32 'out' (outputs: ${Object.keys(outputs).join(', ')})`);
    return out.data as Float32Array;
  };
}
