import { type CancelSignal, throwIfAborted } from '../../errors';
import { chwToRgba } from '../../image/rgba';
import { hostTensor, type Runtime } from '../../runtime';
import { createRng, hashString } from '../../sampling/rng';
import { buildSkeletonModel, SKELETON } from './build';

export interface SkeletonRequest {
  readonly prompt: string;
  readonly seed: number;
  readonly steps: number;
}

export interface StepProgress {
  readonly step: number;
  readonly total: number;
}

export interface SkeletonImage {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8ClampedArray;
}

/**
 * Turns (prompt, seed) into a 64×64 image: the seed draws the starting noise, the prompt's hash
 * draws the conditioning vector, and the network refines the image `steps` times.
 */
export async function generateSkeleton(
  runtime: Runtime,
  request: SkeletonRequest,
  onProgress: (p: StepProgress) => void = () => {},
  signal?: CancelSignal,
): Promise<SkeletonImage> {
  const { size, channels, hidden } = SKELETON;
  const session = await runtime.createSession(buildSkeletonModel());
  try {
    let x: Float32Array = createRng(request.seed).fillNormal(new Float32Array(channels * size * size));
    const cond = hostTensor('float32', [1, hidden, 1, 1], createRng(hashString(request.prompt)).fillNormal(new Float32Array(hidden)));
    for (let step = 1; step <= request.steps; step++) {
      throwIfAborted(signal, 'generation');
      const out = await session.run({ x: hostTensor('float32', [1, channels, size, size], x), cond });
      x = out.y!.data as Float32Array;
      onProgress({ step, total: request.steps });
    }
    return { width: size, height: size, rgba: chwToRgba(x, size, size) };
  } finally {
    await session.dispose();
  }
}
