import type { CancelSignal } from '../src/errors';
import { generate, loadModels, type GeneratedImage, type GenerationEvent, type LoadedModels, type RenderedImage } from '../src/pipeline';
import type { Runtime } from '../src/runtime';
import { cachedSources } from './cached-sources';
import { cachedGraphBytes } from './graph-bytes';
import type { JobEvent, JobImage, JobRequest, JobResult, Pixels } from './job-types';
import { demoSources } from './model-sources';
import type { ModelService } from './model-service';

/** The sessions of the models in use: kept between jobs, disposed when the choice changes (a lost device ends the worker). */
interface Held {
  readonly key: string;
  readonly label: string;
  readonly models: LoadedModels;
}

let held: Held | undefined;

/** The released models' native size (seed-spec §11); the demo pack and the fixtures are smaller. */
const FULL_SIZE = 256;

const pixels = (r: RenderedImage): Pixels => ({ width: r.image.width, height: r.image.height, rgba: r.rgba });

async function releaseModels(): Promise<void> {
  const old = held;
  held = undefined;
  await old?.models.dispose();
}

async function modelsFor(runtime: Runtime, request: JobRequest, service: ModelService): Promise<Held> {
  const key = JSON.stringify(request.models);
  if (held?.key === key) return held;
  await releaseModels();
  const { sources, label, graphSource } = request.models.source === 'demo' ? demoSources() : await cachedSources(service, request.models);
  // Full-size models' graphs do not fit one wasm heap together (pipeline bench sample-step): hold one
  // session at a time for them, as `cli sample` does for real checkpoints; small ones keep all.
  const oneSessionAtATime = sources.unet.config.imageSize >= FULL_SIZE;
  const keepReleasedSessions = runtime.backend.ep === 'webgpu';
  held = { key, label, models: loadModels(runtime, sources, { graphBytes: cachedGraphBytes(service.store, graphSource), oneSessionAtATime, keepReleasedSessions }) };
  return held;
}

function jobEvent(e: GenerationEvent): JobEvent {
  if (e.type !== 'step') return e;
  const { type, sample, batchIndex, step, steps, doneSteps, totalSteps, timestep, elapsedMs, losses, preview } = e;
  return { type, sample, batchIndex, step, steps, doneSteps, totalSteps, timestep, elapsedMs, ...(losses ? { losses } : {}), ...(preview ? { preview: pixels(preview) } : {}) };
}

const jobImage = (g: GeneratedImage): JobImage => ({ sample: g.sample, batchIndex: g.batchIndex, ...pixels(g), ...(g.sr ? { sr: pixels(g.sr) } : {}) });

/** One job: the held models (loading them if needed), generate(), pixels out. */
export async function runJob(runtime: Runtime, service: ModelService, request: JobRequest, onEvent: (e: JobEvent) => void, signal: CancelSignal): Promise<JobResult> {
  onEvent({ type: 'loading', message: request.models.source === 'demo' ? 'Building the demo pack…' : 'Loading the models from the cache…' });
  const { models, label } = await modelsFor(runtime, request, service);
  onEvent({ type: 'loading', message: '' });
  const images = await generate(request.settings, models, { onProgress: (e) => onEvent(jobEvent(e)), signal, previewEvery: request.previewEvery });
  return { images: images.map(jobImage), modelLabel: label, backend: runtime.backend };
}
