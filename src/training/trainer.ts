import { EngineError } from '../errors';
import { optimize, serialize } from '../graph';
import type { UnetConfig, UnetFlags } from '../models/unet/index';
import type { Runtime, Session } from '../runtime';
import { createRng, type Rng } from '../sampling/rng';
import { diffusionArrays, namedBetas, type NoiseSchedule } from '../sampling/schedule';
import { emaFileName, modelFileName, optFileName, optimizerParts, stateDictParts, type ParamShapes, type TrainingStart } from './checkpoints';
import { trainingTensor } from './dataset';
import { buildTrainingGraph } from './loss-graph';
import { runTrainLoop, type LoopHooks } from './loop';
import { adamWState, adamWStep, updateEma, type AdamWOptions, type AdamWState } from './optimizer';
import { pyFloatRepr } from './python-format';
import { appendCsvRow, csvLog, dumpKvs, humanTable, kvAccumulator, logKv, logLossDict, type KvAccumulator } from './progress-log';
import { microbatchFeeds, stepGradients, type Microbatch, type TrainingSchedule } from './step';

/**
 * A fine-tuning run as train.py's TrainLoop makes it (seed-spec §12): batches from a shuffled,
 * drop-last, endless loader with a flip per fetch, microbatches with uniform timesteps and fresh
 * noise, AdamW, EMAs, the logger's tables and progress.csv, the saves. Where the files go, where
 * the log lines go and when to stop are the caller's (the CLI, the studio's worker).
 */

/** train.py's options (create_argparser), our seed for the draws upstream leaves unseeded. */
export interface TrainOptions {
  readonly lr: number;
  readonly weightDecay: number;
  readonly lrAnnealSteps: number;
  readonly batchSize: number;
  /** −1: the whole batch at once. */
  readonly microbatch: number;
  readonly emaRates: readonly number[];
  readonly logInterval: number;
  readonly saveInterval: number;
  readonly seed: number;
}

/** A dataset image after center_crop_arr: size × size × 3 bytes, flipped at each fetch. */
export interface TrainingImage {
  readonly name: string;
  readonly crop: Uint8Array;
}

export interface StepReport {
  /** The step as the logger numbers it (counter + resume step). */
  readonly step: number;
  readonly lr: number;
  /** The mean of the step's per-sample losses, and its MSE and VB parts. */
  readonly loss: number;
  readonly mse: number;
  readonly vb: number;
}

export interface TrainerIO {
  /** A checkpoint file of the log dir: its name and its bytes as parts. */
  readonly writeFile: (name: string, parts: Uint8Array[]) => Promise<void>;
  /** A line or table of log.txt (and stdout). */
  readonly log: (text: string) => Promise<void>;
  /** progress.csv, whole. */
  readonly writeProgress: (csv: string) => Promise<void>;
  readonly onStep?: (report: StepReport) => void;
  /** After every file of a save is written. */
  readonly onSaved?: (fileStep: number) => Promise<void>;
  readonly stopRequested?: () => boolean;
}

const AMSGRAD_FREE_ADAMW = { betas: [0.9, 0.999] as const, eps: 1e-8 };

/**
 * The diffusion side of the flags, checked against what the training graph computes: the seed's
 * recipe (learned-range sigmas with RESCALED_MSE on ε) and nothing else.
 */
export function trainingScheduleOf(flags: UnetFlags): TrainingSchedule {
  const want: Readonly<Record<string, boolean>> = { learn_sigma: true, rescale_learned_sigmas: true, predict_xstart: false, use_kl: false, use_fp16: false };
  for (const [key, value] of Object.entries(want)) {
    if (Boolean(flags[key]) !== value) {
      throw new EngineError(`training needs --${key} ${value ? 'True' : 'False'}: it computes the seed recipe's loss (learned sigmas, RESCALED_MSE on ε) in float32${key === 'use_fp16' ? '; fp16 master weights are not implemented' : ''}`);
    }
  }
  if (flags.timestep_respacing) throw new EngineError('training runs on the full schedule: drop --timestep_respacing');
  const steps = Number(flags.diffusion_steps);
  return { arrays: diffusionArrays(namedBetas(flags.noise_schedule as NoiseSchedule, steps)), numTimesteps: steps, rescaleTimesteps: Boolean(flags.rescale_timesteps) };
}

/** The loader: a shuffle per epoch (Fisher–Yates), full batches only, a flip drawn per fetch. */
function* loader(count: number, batchSize: number, rng: Rng): Generator<{ index: number; flip: boolean }[]> {
  for (;;) {
    const order = Array.from({ length: count }, (_, i) => i);
    for (let i = count - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let at = 0; at + batchSize <= count; at += batchSize) yield order.slice(at, at + batchSize).map((index) => ({ index, flip: rng.uniform() < 0.5 }));
  }
}

const mean = (a: readonly number[]): number => a.reduce((s, v) => s + v, 0) / a.length;

/** A batch split as forward_backward splits it: microbatches of `micro` (the last may be smaller), uniform t, fresh noise, weights 1. */
function microbatchesOf(batch: readonly { index: number; flip: boolean }[], images: readonly TrainingImage[], micro: number, size: number, numTimesteps: number, rng: Rng): Microbatch[] {
  const plane = 3 * size * size;
  const out: Microbatch[] = [];
  for (let at = 0; at < batch.length; at += micro) {
    const part = batch.slice(at, at + micro);
    const xStart = new Float32Array(part.length * plane);
    part.forEach(({ index, flip }, i) => xStart.set(trainingTensor(images[index]!.crop, size, flip), i * plane));
    const t = Array.from(part, () => Math.floor(rng.uniform() * numTimesteps));
    out.push({ xStart, t, noise: rng.fillNormal(new Float32Array(xStart.length)), weights: part.map(() => 1) });
  }
  return out;
}

/** One training graph per microbatch size (a batch that does not divide evenly ends with a smaller one). */
function trainingSessions(runtime: Runtime, config: UnetConfig, numTimesteps: number) {
  const sessions = new Map<number, Promise<{ session: Session; inputShapes: ReadonlyMap<string, readonly number[]> }>>();
  return {
    get(mb: number) {
      if (!sessions.has(mb)) {
        const { graph, params } = buildTrainingGraph(config, { batch: mb, numTimesteps });
        sessions.set(mb, runtime.createSession(serialize(optimize(graph))).then((session) => ({ session, inputShapes: params })));
      }
      return sessions.get(mb)!;
    },
    async dispose() {
      for (const s of sessions.values()) await (await s).session.dispose();
    },
  };
}

/** log_step and dumpkvs: the counter and sample count, then log.txt's table and progress.csv. */
function loggerHooks(kv: KvAccumulator, io: TrainerIO, batchSize: number): Pick<LoopHooks, 'logStep' | 'dump'> {
  const csv = csvLog();
  return {
    logStep: (n) => {
      logKv(kv, 'step', n, true);
      logKv(kv, 'samples', (n + 1) * batchSize, true);
    },
    dump: async () => {
      const row = dumpKvs(kv);
      await io.log(humanTable(row));
      await io.writeProgress(appendCsvRow(csv, row));
    },
  };
}

/** TrainLoop.save(): the parameters, each EMA and the optimizer, with the log lines it writes. */
async function saveFiles(io: TrainerIO, fileStep: number, start: TrainingStart, state: AdamWState, group: AdamWOptions, shapes: ParamShapes, rates: readonly number[]): Promise<void> {
  await io.log('saving model 0...');
  await io.writeFile(modelFileName(fileStep), stateDictParts(start.params, shapes, start.metadata));
  for (const [i, rate] of rates.entries()) {
    await io.log(`saving model ${pyFloatRepr(rate)}...`);
    await io.writeFile(emaFileName(rate, fileStep), stateDictParts(start.emas[i]!, shapes, start.metadata));
  }
  await io.writeFile(optFileName(fileStep), optimizerParts(state, shapes, group));
}

/** Trains until lr_anneal_steps (or a stop request), saving as TrainLoop does; returns the step counter at exit. */
export async function train(runtime: Runtime, config: UnetConfig, schedule: TrainingSchedule, shapes: ParamShapes, images: readonly TrainingImage[], start: TrainingStart, o: TrainOptions, io: TrainerIO): Promise<number> {
  if (images.length < o.batchSize) throw new EngineError(`the training set has ${images.length} image${images.length === 1 ? '' : 's'}, fewer than the batch size ${o.batchSize}: add images or lower --batch_size`);
  const size = config.imageSize;
  const sessions = trainingSessions(runtime, config, schedule.numTimesteps);
  const { params, emas } = start;
  const state = start.optimizer?.state ?? adamWState(params);
  const group: Omit<AdamWOptions, 'lr'> = start.optimizer?.group ?? { ...AMSGRAD_FREE_ADAMW, weightDecay: o.weightDecay };
  const rng = createRng((o.seed + Math.imul(start.resumeStep, 0x9e3779b1)) >>> 0);
  const batches = loader(images.length, o.batchSize, rng);
  const kv = kvAccumulator();
  const step = async (counter: number, lr: number) => {
    const microbatches = microbatchesOf(batches.next().value!, images, o.microbatch > 0 ? o.microbatch : o.batchSize, size, schedule.numTimesteps, rng);
    const ready = new Map(await Promise.all(microbatches.map(async (m) => [m, await sessions.get(m.t.length)] as const)));
    const { grads, results } = await stepGradients(
      async (feeds) => (await sessions.get(feeds.x_start!.shape[0]!)).session.run(feeds),
      (m) => microbatchFeeds(schedule, params, ready.get(m)!.inputShapes, m, [m.t.length, 3, size, size]), params, microbatches);
    adamWStep(params, grads, state, { ...group, lr });
    o.emaRates.forEach((rate, i) => updateEma(emas[i]!, params, rate));
    results.forEach((r, i) => logLossDict(kv, schedule.numTimesteps, microbatches[i]!.t, r));
    const all = (k: 'loss' | 'mse' | 'vb') => mean(results.flatMap((r) => [...r[k]]));
    io.onStep?.({ step: counter + start.resumeStep, lr, loss: all('loss'), mse: all('mse'), vb: all('vb') });
  };
  try {
    return await runTrainLoop({ lr: o.lr, lrAnnealSteps: o.lrAnnealSteps, logInterval: o.logInterval, saveInterval: o.saveInterval, resumeStep: start.resumeStep, ...(start.optimizer && { firstLr: start.optimizer.group.lr }) }, {
      step,
      ...loggerHooks(kv, io, o.batchSize),
      save: async (fileStep, lr) => {
        await saveFiles(io, fileStep, start, state, { ...group, lr }, shapes, o.emaRates);
        await io.onSaved?.(fileStep);
      },
      ...(io.stopRequested && { stopRequested: io.stopRequested }),
    });
  } finally {
    await sessions.dispose();
  }
}
