import { blobSource } from '../src/checkpoint';
import { EngineError } from '../src/errors';
import { DEMO_UNET_FLAGS, demoUnetArrays } from '../src/models/demo';
import { DEFAULT_FLAGS, resolveConfig, unetParameterShapes, type UnetFlags } from '../src/models/unet';
import type { Runtime } from '../src/runtime';
import {
  fixedDrawLoss, loadTrainingStart, prepareTrainingImages, previewSample, train, trainingMemory, trainingScheduleOf,
  type Sibling, type StepReport, type TrainingMemory, type TrainingStart, type TrainOptions,
} from '../src/training';
import type { Pixels } from './job-types';
import { clearRun, latestModelFile, readRunFile, runFileNames, writeRunFile } from './training-store';

/**
 * A fine-tuning run in the worker: the demo UNet (or the run's last saved state) trained on the
 * dropped images through the engine's train(), its files written to the training store as
 * TrainLoop writes its log dir.
 */

export interface TrainRequest {
  readonly options: TrainOptions;
  /** Resume from the run's last model file (and its opt and EMA files) instead of starting afresh. */
  readonly resume: boolean;
  readonly images: readonly { readonly name: string; readonly blob: Blob }[];
}

export type TrainEvent =
  | { readonly type: 'prepared'; readonly images: number; readonly skipped: readonly { readonly name: string; readonly reason: string }[]; readonly resumeStep: number }
  | ({ readonly type: 'step' } & StepReport)
  /** The loss on the training images at fixed draws, before the first step and after each save; `done`: this run's steps so far. */
  | { readonly type: 'fixed-loss'; readonly done: number; readonly loss: number }
  | { readonly type: 'saved'; readonly files: readonly string[] }
  /** An unguided sample of the model (previewSample), before the first step and after each save. */
  | { readonly type: 'preview'; readonly done: number; readonly pixels: Pixels };

/** The WebAssembly heap onnxruntime-web's wasm build addresses (wasm32). */
const WASM_HEAP_BYTES = 4 * 1024 ** 3;

/** The studio fine-tunes the demo pack's UNet (the model it can train offline, on any backend). */
const FLAGS: UnetFlags = { ...DEFAULT_FLAGS, ...DEMO_UNET_FLAGS };

const gib = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;

/** The memory a run needs, and why it cannot run here when it cannot. */
export function trainingEstimate(runtime: Runtime, options: TrainOptions): TrainingMemory & { readonly refusal?: string } {
  const config = resolveConfig(FLAGS);
  const micro = options.microbatch > 0 ? options.microbatch : options.batchSize;
  const memory = trainingMemory(config, micro, options.emaRates.length, Number(FLAGS.diffusion_steps));
  const refusal = runtime.backend.ep === 'wasm' && memory.runtimePeak > WASM_HEAP_BYTES
    ? `a microbatch of ${micro} needs ${gib(memory.runtimePeak)} in the WebAssembly heap, which holds ${gib(WASM_HEAP_BYTES)}: lower the microbatch`
    : undefined;
  return { ...memory, ...(refusal && { refusal }) };
}

const sibling: Sibling = async (name, work) => {
  const blob = await readRunFile(name);
  return blob ? work(blobSource(blob)) : undefined;
};

async function startOf(resume: boolean, shapes: ReadonlyMap<string, readonly number[]>, rates: readonly number[]): Promise<TrainingStart> {
  const latest = resume ? latestModelFile(await runFileNames()) : undefined;
  if (resume && !latest) throw new EngineError('there is no saved model to resume from: start a new run');
  if (latest) return loadTrainingStart(latest, blobSource((await readRunFile(latest))!), sibling, shapes, rates);
  await clearRun();
  const params = new Map([...demoUnetArrays(resolveConfig(FLAGS))].map(([n, { data }]) => [n, data.slice()]));
  return { resumeStep: 0, params, emas: rates.map(() => new Map([...params].map(([n, p]) => [n, p.slice()]))), log: [] };
}

/** The set decoded and cropped (what cannot serve is skipped) and the start: a fresh demo UNet or the run's last save. */
async function prepareRun(request: TrainRequest, size: number, shapes: ReadonlyMap<string, readonly number[]>) {
  const o = request.options;
  const blobs = new Map(request.images.map((i) => [i.name, i.blob]));
  const { images, skipped } = await prepareTrainingImages([...blobs.keys()], async (n) => new Uint8Array(await blobs.get(n)!.arrayBuffer()), size);
  if (images.length < o.batchSize) throw new EngineError(`the training set has ${images.length} usable image${images.length === 1 ? '' : 's'}, fewer than the batch size ${o.batchSize}: add images or lower the batch size`);
  return { images, skipped, start: await startOf(request.resume, shapes, o.emaRates) };
}

/** Runs until lr_anneal_steps or `job.stop`; a failure mid-run names the last checkpoint kept. */
export async function runTraining(runtime: Runtime, request: TrainRequest, onEvent: (e: TrainEvent) => void, job: { stop: boolean }): Promise<{ steps: number }> {
  const refusal = trainingEstimate(runtime, request.options).refusal;
  if (refusal) throw new EngineError(`this run cannot start: ${refusal}`);
  const config = resolveConfig(FLAGS);
  const schedule = trainingScheduleOf(FLAGS);
  const shapes = unetParameterShapes(config);
  const { images, skipped, start } = await prepareRun(request, config.imageSize, shapes);
  onEvent({ type: 'prepared', images: images.length, skipped, resumeStep: start.resumeStep });
  let done = 0;
  // Before the first step and after each save: the loss on the images at fixed draws, and a sample.
  const look = async () => {
    onEvent({ type: 'fixed-loss', done, loss: await fixedDrawLoss(runtime, config, schedule, images, start.params) });
    onEvent({ type: 'preview', done, pixels: { width: config.imageSize, height: config.imageSize, rgba: await previewSample(runtime, config, FLAGS, start.params) } });
  };
  await look();
  let log = '';
  try {
    const steps = await train(runtime, config, schedule, shapes, images, start, request.options, {
      writeFile: (name, parts) => writeRunFile(name, new Blob(parts as BlobPart[])),
      onSaved: async () => {
        onEvent({ type: 'saved', files: await runFileNames() });
        await look();
      },
      log: async (text) => {
        log += text.endsWith('\n') ? text : `${text}\n`;
        await writeRunFile('log.txt', new Blob([log], { type: 'text/plain' }));
      },
      writeProgress: (csv) => writeRunFile('progress.csv', new Blob([csv], { type: 'text/csv' })),
      onStep: (r) => {
        done += 1;
        onEvent({ type: 'step', ...r });
      },
      stopRequested: () => job.stop,
    });
    return { steps };
  } catch (err) {
    const kept = latestModelFile(await runFileNames());
    throw new EngineError(`training stopped after ${done} step${done === 1 ? '' : 's'}: ${(err as Error).message}. ${kept ? `${kept} and its EMA and optimizer files are kept: resume from them` : 'Nothing was saved yet'}; if the GPU ran out of memory, lower the microbatch or the batch size`);
  }
}
