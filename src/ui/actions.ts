import { proxy } from 'comlink';
import { isAbortError } from '../errors';
import { createQueue } from '../runtime/queue';
import type { JobEvent, JobRequest } from '../../workers/job-types';
import { engine } from './engine';
import { saveToGallery } from './gallery-db';
import { refreshGallery } from './gallery-actions';
import { isQuotaError } from '../cache';
import type { JobProgress, JobState, OutputImage } from './jobs';
import { lossPoint } from './loss-plot';
import { outputImages, revokeOutputs } from './outputs';
import { generationSettings, type StudioSettings } from './settings';
import { studio, updateJob, updateSettings } from './store';

/** Jobs run one after another; each has its own AbortController (Escape or its Cancel button). */
const controllers = new Map<string, AbortController>();
const enqueue = createQueue();

/** Starts the worker and shows which backend it got. */
export async function connectEngine(): Promise<void> {
  try {
    const { backend, build } = await engine().init();
    studio.setState({ backend });
    // The service worker serves one build's files together; a mix means a cache or server went wrong.
    if (build !== __BUILD_ID__) studio.setState({ error: `The page (build ${__BUILD_ID__}) and its engine (build ${build}) come from two different builds: reload the page` });
  } catch (err) {
    studio.setState({ error: `The engine could not start: ${(err as Error).message}` });
  }
}

export const randomSeed = (): number => crypto.getRandomValues(new Uint32Array(1))[0]! >>> 1;

function onEvent(id: string, e: JobEvent): void {
  if (e.type === 'loading') return updateJob(id, () => ({ message: e.message }));
  if (e.type === 'notice') return updateJob(id, (j) => ({ notices: [...(j.notices ?? []), e.message] }));
  if (e.type === 'upscale') {
    return updateJob(id, (j) => (j.progress ? { progress: { ...j.progress, upscale: { tile: e.tile, tiles: e.tiles, done: [...(j.progress.upscale?.done ?? []), e.region] } } } : {}));
  }
  const progress: JobProgress = { doneSteps: e.doneSteps, totalSteps: e.totalSteps, step: e.step, steps: e.steps, timestep: e.timestep, elapsedMs: e.elapsedMs, losses: e.losses };
  const losses = e.losses;
  updateJob(id, (j) => ({ progress, ...(e.preview ? { preview: e.preview } : {}), ...(losses ? { lossHistory: [...(j.lossHistory ?? []), lossPoint(losses)] } : {}) }));
}

/** A full quota (or a broken database) costs the gallery entry, not the job: its images stay on the page. */
async function keepInGallery(job: JobState, images: readonly OutputImage[], modelLabel: string): Promise<void> {
  try {
    for (const image of images) {
      await saveToGallery({ id: crypto.randomUUID(), createdAt: Date.now(), settings: job.settings, modelLabel, png: image.png, ...(image.sr ? { srPng: image.sr.png } : {}) });
    }
  } catch (err) {
    const why = isQuotaError(err) ? 'the browser has no storage left for this site (delete cached models to make room)' : (err as Error).message;
    updateJob(job.id, (j) => ({ notices: [...(j.notices ?? []), `Not kept in the gallery: ${why}. Download the images now.`] }));
  }
}

async function run(job: JobState, request: JobRequest): Promise<void> {
  const controller = controllers.get(job.id);
  if (!controller || controller.signal.aborted) return updateJob(job.id, () => ({ status: 'cancelled' }));
  updateJob(job.id, () => ({ status: 'running' }));
  try {
    const result = await engine().generate(request, proxy((e: JobEvent) => onEvent(job.id, e)), controller.signal);
    const images = outputImages(result, job.settings, request.models.source === 'demo');
    updateJob(job.id, () => ({ status: 'done', images, backend: result.backend, modelLabel: result.modelLabel, preview: undefined }));
    studio.setState({ backend: result.backend });
    await keepInGallery(job, images, result.modelLabel);
    pruneJobs();
    await refreshGallery();
  } catch (err) {
    updateJob(job.id, () => (isAbortError(err) ? { status: 'cancelled' } : { status: 'error', error: (err as Error).message }));
  } finally {
    controllers.delete(job.id);
  }
}

/** Queues a job with the current settings (a fresh seed first unless the seed is locked). */
export function generate(): void {
  const state = studio.getState();
  const settings: StudioSettings = state.seedLocked ? state.settings : { ...state.settings, seed: randomSeed() };
  if (!state.seedLocked) updateSettings({ seed: settings.seed });
  const job: JobState = { id: crypto.randomUUID(), settings, status: 'queued', images: [] };
  const request: JobRequest = { settings: generationSettings(settings, state), models: state.modelChoice, previewEvery: settings.previewEvery };
  controllers.set(job.id, new AbortController());
  studio.setState((s) => ({ jobs: [...s.jobs, job], shownJob: job.id, error: undefined }));
  void enqueue(() => run(job, request));
}

/** Cancels a job (running or queued); with no id, the running one (Escape). */
export function cancel(id?: string): void {
  const target = id ?? studio.getState().jobs.find((j) => j.status === 'running')?.id;
  if (target) controllers.get(target)?.abort();
}

/** Finished jobs kept on the page (their images stay in the gallery): older ones are dropped so memory stays flat. */
const KEEP_FINISHED = 3;

function pruneJobs(): void {
  const finished = studio.getState().jobs.filter((j) => j.status !== 'running' && j.status !== 'queued');
  for (const job of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) dismissJob(job.id);
}

/** Removes a finished job from the list and frees its images' object URLs. */
export function dismissJob(id: string): void {
  const job = studio.getState().jobs.find((j) => j.id === id);
  if (!job || job.status === 'running' || job.status === 'queued') return;
  revokeOutputs(job.images);
  studio.setState((s) => ({ jobs: s.jobs.filter((j) => j.id !== id), shownJob: s.shownJob === id ? undefined : s.shownJob }));
}
