import { optimize, serialize } from '../graph';
import type { UnetConfig } from '../models/unet/index';
import type { Runtime } from '../runtime';
import { createRng } from '../sampling/rng';
import { trainingTensor } from './dataset';
import { buildTrainingGraph } from './loss-graph';
import type { Tensors } from './optimizer';
import { microbatchFeeds, type TrainingSchedule } from './step';
import type { TrainingImage } from './trainer';

/** Timesteps the fixed-draw loss looks at: spread over the schedule, so no one noise level dominates. */
const FIXED_TS = [0.05, 0.25, 0.45, 0.65, 0.85];

/**
 * The model's loss on (up to four of) its training images at fixed timesteps and fixed noise: the
 * same draws before and after, so unlike the per-step loss, whose random t makes it jump, it shows
 * whether fine-tuning fits the images. The mean of RESCALED_MSE's loss over images × timesteps.
 */
export async function fixedDrawLoss(runtime: Runtime, config: UnetConfig, schedule: TrainingSchedule, images: readonly TrainingImage[], params: Tensors): Promise<number> {
  const size = config.imageSize;
  const plane = 3 * size * size;
  const ts = FIXED_TS.map((f) => Math.floor(f * schedule.numTimesteps));
  const { graph, params: inputShapes } = buildTrainingGraph(config, { batch: ts.length, numTimesteps: schedule.numTimesteps });
  const session = await runtime.createSession(serialize(optimize(graph)));
  try {
    let sum = 0;
    const shown = images.slice(0, 4);
    for (const [i, image] of shown.entries()) {
      const one = trainingTensor(image.crop, size, false);
      const xStart = new Float32Array(ts.length * plane);
      for (let k = 0; k < ts.length; k++) xStart.set(one, k * plane);
      const noise = createRng(1000 + i).fillNormal(new Float32Array(xStart.length));
      const out = await session.run(microbatchFeeds(schedule, params, inputShapes, { xStart, noise, t: ts, weights: ts.map(() => 1) }, [ts.length, 3, size, size]));
      sum += (out.loss!.data as Float32Array).reduce((a, b) => a + b, 0);
    }
    return sum / (shown.length * ts.length);
  } finally {
    await session.dispose();
  }
}
