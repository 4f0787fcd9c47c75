import { proxy, releaseProxy, type Remote, wrap } from 'comlink';
import { AbortError, isDeviceLostError } from '../src/errors';
import { createQueue } from '../src/runtime/queue';
import type { EngineApi } from './engine.worker';
import type { JobEvent, JobRequest } from './job-types';
import type { TrainEvent, TrainRequest } from './training-job';

/** How long a cancelled job may take to stop by itself before its worker is terminated. */
const CANCEL_GRACE_MS = 5000;

export type EngineClient = ReturnType<typeof createEngineClient>;

/**
 * Settles with `job`, or, once `signal` aborts, asks for a cancel and gives up after the grace
 * period: then `giveUp` runs and the result is an AbortError.
 */
async function withCancel<T>(job: Promise<T>, signal: AbortSignal | undefined, requestCancel: () => void, giveUp: () => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      requestCancel();
      timer = setTimeout(() => {
        giveUp();
        reject(new AbortError('generation cancelled'));
      }, CANCEL_GRACE_MS);
    };
  });
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.race([job, aborted]);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

type SetUp = (api: Remote<EngineApi>) => Promise<void>;

/** The worker, started and set up on first use; terminate() drops it and the next use starts a fresh one. */
function workerHandle(makeWorker: () => Worker) {
  let worker: Worker | undefined;
  let remote: Remote<EngineApi> | undefined;
  let setUp: SetUp | undefined;
  let ready: Promise<void> = Promise.resolve();
  return {
    async engine(): Promise<Remote<EngineApi>> {
      if (!remote) {
        worker = makeWorker();
        remote = wrap<EngineApi>(worker);
        ready = setUp ? setUp(remote) : Promise.resolve();
      }
      const api = remote;
      await ready;
      return api;
    },
    terminate(): void {
      remote?.[releaseProxy]();
      worker?.terminate();
      worker = undefined;
      remote = undefined;
    },
    onStart(setUpWorker: SetUp): void {
      setUp = setUpWorker;
      if (remote) ready = setUpWorker(remote);
    },
  };
}

/** Fine-tuning runs, queued with the jobs (one runtime). Stop is asked of the worker, which saves and ends after the step. */
function trainRunner(handle: ReturnType<typeof workerHandle>, queue: ReturnType<typeof createQueue>) {
  return (request: TrainRequest, onEvent: (e: TrainEvent) => void, stop: AbortSignal) =>
    queue(async () => {
      if (stop.aborted) return { steps: 0 };
      const runId = crypto.randomUUID();
      const api = await handle.engine();
      const onStop = () => void api.stopTraining(runId);
      stop.addEventListener('abort', onStop, { once: true });
      try {
        return await api.train(runId, request, proxy(onEvent));
      } catch (err) {
        if (isDeviceLostError(err)) handle.terminate();
        throw err;
      } finally {
        stop.removeEventListener('abort', onStop);
      }
    });
}

/**
 * The page's handle on the engine worker: started lazily, jobs queued one at a time. An AbortSignal
 * cannot cross to a worker, so the client keeps it, asks the worker to cancel, and terminates the
 * worker if the job does not settle in time (the next job starts a fresh one); a lost GPU device
 * also ends the worker.
 */
export function createEngineClient(makeWorker = () => new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module' })) {
  const handle = workerHandle(makeWorker);
  const queue = createQueue();

  const generate = (request: JobRequest, onProgress: (e: JobEvent) => void, signal?: AbortSignal) =>
    queue(async () => {
      signal?.throwIfAborted();
      const jobId = crypto.randomUUID();
      const api = await handle.engine();
      // onnxruntime-web makes its device once per worker: after a loss the next job gets a fresh worker.
      const job = api.generate(jobId, request, proxy(onProgress)).catch((err: unknown) => {
        if (isDeviceLostError(err)) handle.terminate();
        throw err;
      });
      return withCancel(job, signal, () => void api.cancel(jobId), handle.terminate);
    });

  return {
    init: async () => (await handle.engine()).init(),
    generate,
    train: trainRunner(handle, queue),
    trainingEstimate: async (options: TrainRequest['options'], base: TrainRequest['base']) => (await handle.engine()).trainingEstimate(options, base),
    /** The worker's models service (downloads, imports, deletes): not queued behind generation jobs. */
    models: handle.engine,
    /** What every worker is told first (the pack's manifest, test hooks): now, and after each restart. */
    async onStart(setUp: SetUp): Promise<void> {
      handle.onStart(setUp);
      await handle.engine();
    },
  };
}
