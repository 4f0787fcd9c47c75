import type { CancelSignal } from '../src/errors';
import { generate, loadModels, loadPackModels, parseModelJson, type GeneratedImage, type GenerationEvent, type LoadedModels, type PoolOptions, type RenderedImage } from '../src/pipeline';
import type { Runtime } from '../src/runtime';
import { cachedSources } from './cached-sources';
import { cachedGraphBytes } from './graph-bytes';
import { choiceIds, guidesOf, modelsKey, type CachedChoice, type JobEvent, type JobImage, type JobRequest, type JobResult, type Pixels } from './job-types';
import { demoSources } from './model-sources';
import type { ModelService } from './model-service';
import { isPackChoice, packSources } from './pack-sources';

/** The sessions of the models in use: kept between jobs, disposed when the choice changes (a lost device ends the worker). */
interface Held {
  readonly key: string;
  readonly label: string;
  readonly models: LoadedModels;
}

let held: Held | undefined;

/** The running job's graph-cache notice: the held models' graph hook outlives a job, so it reports through this. */
let notice: (message: string) => void = () => undefined;

/** The released models' native size (seed-spec §11); the demo pack and the fixtures are smaller. */
const FULL_SIZE = 256;

const pixels = (r: RenderedImage): Pixels => ({ width: r.image.width, height: r.image.height, rgba: r.rgba });

async function releaseModels(): Promise<void> {
  const old = held;
  held = undefined;
  await old?.models.dispose();
}

/**
 * On wasm, full-size models' graphs do not fit one heap together (pipeline bench sample-step): they
 * hold one session at a time, as `cli sample` does for real checkpoints; small ones keep all. On
 * WebGPU weights and activations live in GPU buffers, and onnxruntime-web frees a released session's
 * buffers only once no other session lives (SwinIR's stays), so swapping would pile up weights:
 * every session is kept until the models change (LoadModelsOptions.keepReleasedSessions), and the
 * UNet runs through its guidance graph only, so its weights are on the device once (oneUnetCopy).
 */
function poolOptions(runtime: Runtime, imageSize: number): PoolOptions {
  const webgpu = runtime.backend.ep === 'webgpu';
  return { oneSessionAtATime: !webgpu && imageSize >= FULL_SIZE, keepReleasedSessions: webgpu, oneUnetCopy: webgpu };
}

/** A pack's converted graphs (their downloaded bytes, nothing built or cached again). */
async function packModelsFor(runtime: Runtime, choice: CachedChoice, service: ModelService): Promise<Omit<Held, 'key'>> {
  const { pack, label } = await packSources(service, choice);
  const { imageSize } = parseModelJson(pack.unet.modelJson, 'unet', pack.unet.label).config;
  return { label, models: await loadPackModels(runtime, pack, poolOptions(runtime, imageSize)) };
}

async function modelsFor(runtime: Runtime, request: JobRequest, service: ModelService): Promise<Held> {
  const key = modelsKey(request.models);
  if (held?.key === key) return held;
  await releaseModels();
  const choice = request.models;
  if (choice.source === 'cache' && isPackChoice(service, choice)) {
    held = { key, ...(await packModelsFor(runtime, choice, service)) };
    return held;
  }
  const { sources, label, graphSource } = choice.source === 'demo' ? await demoSources(choice) : await cachedSources(service, choice);
  const graphBytes = cachedGraphBytes(service.store, graphSource, { storage: self.navigator.storage, onSkipped: (err) => notice(graphSkipped(err)) });
  held = { key, label, models: loadModels(runtime, sources, { graphBytes, ...poolOptions(runtime, sources.unet.config.imageSize) }) };
  return held;
}

function jobEvent(e: GenerationEvent): JobEvent {
  if (e.type !== 'step') return e;
  const { type, sample, batchIndex, step, steps, doneSteps, totalSteps, timestep, elapsedMs, losses, preview } = e;
  return { type, sample, batchIndex, step, steps, doneSteps, totalSteps, timestep, elapsedMs, ...(losses ? { losses } : {}), ...(preview ? { preview: pixels(preview) } : {}) };
}

const jobImage = (g: GeneratedImage): JobImage => ({ sample: g.sample, batchIndex: g.batchIndex, ...pixels(g), ...(g.sr ? { sr: pixels(g.sr) } : {}) });

const graphSkipped = (err: Error): string =>
  `The converted graphs were not cached, so they will be built again next time; this job goes on. (${err.message.replace(/\.$/, '')}.)`;

/** Each graph of a job may fail to be cached (4 of them with a full disk): the job says so once. */
function noticeOnce(onEvent: (e: JobEvent) => void): (message: string) => void {
  let said = false;
  return (message) => {
    if (said) return;
    said = true;
    onEvent({ type: 'notice', message });
  };
}

/**
 * One job. With cached models, their files are held for reading (shared Web Locks) for the whole
 * job: a delete or download in another tab waits for it, and the job waits for those (saying so).
 */
export async function runJob(runtime: Runtime, service: ModelService, request: JobRequest, onEvent: (e: JobEvent) => void, signal: CancelSignal): Promise<JobResult> {
  notice = noticeOnce(onEvent);
  try {
    const choice = request.models;
    if (choice.source === 'demo') return await runHeld(runtime, service, request, onEvent, signal);
    return await service.reading(choiceIds(choice), () => runHeld(runtime, service, request, onEvent, signal), (message) => onEvent({ type: 'loading', message }));
  } finally {
    notice = () => undefined;
  }
}

/** The held models (loading them if needed), generate(), pixels out. */
async function runHeld(runtime: Runtime, service: ModelService, request: JobRequest, onEvent: (e: JobEvent) => void, signal: CancelSignal): Promise<JobResult> {
  onEvent({ type: 'loading', message: request.models.source === 'demo' ? 'Building the demo pack…' : 'Loading the models from the cache…' });
  const { models, label } = await modelsFor(runtime, request, service);
  onEvent({ type: 'loading', message: '' });
  const guides = guidesOf(request.models);
  const settings = { ...request.settings, guideWeights: guides.map((g) => g.weight) };
  const images = await generate(settings, models, { onProgress: (e) => onEvent(jobEvent(e)), signal, previewEvery: request.previewEvery });
  const labelOf = (id: string) => (request.models.source === 'demo' ? id : service.model(id).label);
  return { images: images.map(jobImage), modelLabel: label, guides: guides.map((g) => ({ ...g, label: labelOf(g.id) })), backend: runtime.backend };
}
