import { blobSource } from '../src/checkpoint';
import { EngineError } from '../src/errors';
import { DEMO_UNET_FLAGS, demoUnetArrays } from '../src/models/demo';
import { DEFAULT_FLAGS, resolveConfig, unetParameterShapes, type UnetFlags } from '../src/models/unet';
import type { Runtime } from '../src/runtime';
import {
  fixedDrawLoss, loadTrainingStart, prepareTrainingImages, previewSample, readParams, train, trainingMemory, trainingScheduleOf,
  type Sibling, type StepReport, type TrainingMemory, type TrainingStart, type TrainOptions,
} from '../src/training';
import { cachedUnetFlags } from './cached-sources';
import type { Pixels, TrainingBase } from './job-types';
import type { ModelService } from './model-service';
import { latestModelFile, readRunFile, runBase, runFileNames, startRun, writeRunFile } from './training-store';

/**
 * A fine-tuning run in the worker: the demo UNet or a cached diffusion checkpoint (or the run's last
 * saved state) trained on the dropped images through the engine's train(), its files written to the
 * training store as TrainLoop writes its log dir.
 */

export interface TrainRequest {
  readonly options: TrainOptions;
  /** What a new run starts from; a resume continues the stored run from its own base. */
  readonly base: TrainingBase;
  /** Resume from the run's last model file (and its opt and EMA files) instead of starting afresh. */
  readonly resume: boolean;
  readonly images: readonly { readonly name: string; readonly blob: Blob }[];
}

export type TrainEvent =
  | { readonly type: 'prepared'; readonly base: TrainingBase; readonly images: number; readonly skipped: readonly { readonly name: string; readonly reason: string }[]; readonly resumeStep: number }
  | ({ readonly type: 'step' } & StepReport)
  /** The loss on the training images at fixed draws, before the first step and after each save; `done`: this run's steps so far. */
  | { readonly type: 'fixed-loss'; readonly done: number; readonly loss: number }
  | { readonly type: 'saved'; readonly files: readonly string[] }
  /** An unguided sample of the model (previewSample), before the first step and after each save. */
  | { readonly type: 'preview'; readonly done: number; readonly pixels: Pixels };

/** The WebAssembly heap onnxruntime-web's wasm build addresses (wasm32). */
const WASM_HEAP_BYTES = 4 * 1024 ** 3;

/** The demo pack's UNet: the model the studio can train offline, on any backend. */
const DEMO_FLAGS: UnetFlags = { ...DEFAULT_FLAGS, ...DEMO_UNET_FLAGS };

/** A base's model and diffusion flags: the demo UNet's, or the cached checkpoint's yaml. */
const baseFlags = async (service: ModelService, base: TrainingBase): Promise<UnetFlags> =>
  (base.source === 'demo' ? DEMO_FLAGS : { ...DEFAULT_FLAGS, ...(await cachedUnetFlags(service, base.diffusion)) });

const gib = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;

/** The memory a run from `base` needs, and why it cannot run here when it cannot. */
export async function trainingEstimate(runtime: Runtime, service: ModelService, options: TrainOptions, base: TrainingBase): Promise<TrainingMemory & { readonly refusal?: string }> {
  const flags = await baseFlags(service, base);
  trainingScheduleOf(flags);
  const config = resolveConfig(flags);
  const micro = options.microbatch > 0 ? options.microbatch : options.batchSize;
  const memory = trainingMemory(config, micro, options.emaRates.length, Number(flags.diffusion_steps));
  const refusal = runtime.backend.ep === 'wasm' && memory.runtimePeak > WASM_HEAP_BYTES
    ? `a microbatch of ${micro} needs ${gib(memory.runtimePeak)} in the WebAssembly heap, which holds ${gib(WASM_HEAP_BYTES)}: lower the microbatch`
    : undefined;
  return { ...memory, ...(refusal && { refusal }) };
}

const sibling: Sibling = async (name, work) => {
  const blob = await readRunFile(name);
  return blob ? work(blobSource(blob)) : undefined;
};

/** A fresh run's parameters: the demo UNet's seeded ones, or the cached checkpoint's (its files held while read). */
async function baseParams(service: ModelService, base: TrainingBase, flags: UnetFlags, shapes: ReadonlyMap<string, readonly number[]>) {
  if (base.source === 'demo') return { params: new Map([...demoUnetArrays(resolveConfig(flags))].map(([n, { data }]) => [n, data.slice()])) };
  return service.reading([base.diffusion], async () => {
    const weights = await service.file(base.diffusion, 'weights');
    if (!weights) throw new EngineError(`${service.model(base.diffusion).label} has no weights file`);
    return readParams(weights.source, shapes, weights.name);
  }, () => undefined);
}

async function startOf(service: ModelService, resume: boolean, base: TrainingBase, flags: UnetFlags, shapes: ReadonlyMap<string, readonly number[]>, rates: readonly number[]): Promise<TrainingStart> {
  const latest = resume ? latestModelFile(await runFileNames()) : undefined;
  if (resume && !latest) throw new EngineError('there is no saved model to resume from: start a new run');
  if (latest) return loadTrainingStart(latest, blobSource((await readRunFile(latest))!), sibling, shapes, rates);
  const { params, metadata } = await baseParams(service, base, flags, shapes);
  await startRun(base);
  return { resumeStep: 0, params, emas: rates.map(() => new Map([...params].map(([n, p]) => [n, p.slice()]))), log: [], ...(metadata && { metadata }) };
}

/** The set decoded and cropped (what cannot serve is skipped) and the start: the base's parameters or the run's last save. */
async function prepareRun(service: ModelService, request: TrainRequest, base: TrainingBase, flags: UnetFlags, shapes: ReadonlyMap<string, readonly number[]>) {
  const o = request.options;
  const blobs = new Map(request.images.map((i) => [i.name, i.blob]));
  const { images, skipped } = await prepareTrainingImages([...blobs.keys()], async (n) => new Uint8Array(await blobs.get(n)!.arrayBuffer()), Number(flags.image_size));
  if (images.length < o.batchSize) throw new EngineError(`the training set has ${images.length} usable image${images.length === 1 ? '' : 's'}, fewer than the batch size ${o.batchSize}: add images or lower the batch size`);
  return { images, skipped, start: await startOf(service, request.resume, base, flags, shapes, o.emaRates) };
}

/** Runs until lr_anneal_steps or `job.stop`; a failure mid-run names the last checkpoint kept. */
export async function runTraining(runtime: Runtime, service: ModelService, request: TrainRequest, onEvent: (e: TrainEvent) => void, job: { stop: boolean }): Promise<{ steps: number }> {
  const base = request.resume ? await runBase() : request.base;
  const { refusal } = await trainingEstimate(runtime, service, request.options, base);
  if (refusal) throw new EngineError(`this run cannot start: ${refusal}`);
  const flags = await baseFlags(service, base);
  const [config, schedule] = [resolveConfig(flags), trainingScheduleOf(flags)];
  const shapes = unetParameterShapes(config);
  const { images, skipped, start } = await prepareRun(service, request, base, flags, shapes);
  onEvent({ type: 'prepared', base, images: images.length, skipped, resumeStep: start.resumeStep });
  let done = 0;
  // Before the first step and after each save: the loss on the images at fixed draws, and a sample.
  const look = async () => {
    onEvent({ type: 'fixed-loss', done, loss: await fixedDrawLoss(runtime, config, schedule, images, start.params) });
    onEvent({ type: 'preview', done, pixels: { width: config.imageSize, height: config.imageSize, rgba: await previewSample(runtime, config, flags, start.params) } });
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
