import { proxy, releaseProxy, type Remote, wrap } from 'comlink';
import { AbortError, isDeviceLostError } from '../src/errors';
import { createQueue } from '../src/runtime/queue';
import type { EngineApi } from './engine.worker';
import type { JobEvent, JobRequest } from './job-types';

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

/**
 * The page's handle on the engine worker: started lazily, jobs queued one at a time. An AbortSignal
 * cannot cross to a worker, so the client keeps it, asks the worker to cancel, and terminates the
 * worker if the job does not settle in time (the next job starts a fresh one); a lost GPU device
 * also ends the worker.
 */
export function createEngineClient(makeWorker = () => new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module' })) {
  let worker: Worker | undefined;
  let remote: Remote<EngineApi> | undefined;
  const queue = createQueue();

  const engine = (): Remote<EngineApi> => {
    if (!remote) {
      worker = makeWorker();
      remote = wrap<EngineApi>(worker);
    }
    return remote;
  };

  const terminate = () => {
    remote?.[releaseProxy]();
    worker?.terminate();
    worker = undefined;
    remote = undefined;
  };

  const generate = (request: JobRequest, onProgress: (e: JobEvent) => void, signal?: AbortSignal) =>
    queue(() => {
      signal?.throwIfAborted();
      const jobId = crypto.randomUUID();
      const api = engine();
      const job = api.generate(jobId, request, proxy(onProgress)).catch((err: unknown) => {
        // onnxruntime-web makes its device once per worker: after a loss the next job gets a fresh worker.
        if (isDeviceLostError(err)) terminate();
        throw err;
      });
      return withCancel(job, signal, () => void api.cancel(jobId), terminate);
    });

  /** The worker's models service (downloads, imports, deletes): not queued behind generation jobs. */
  const models = (): Remote<EngineApi> => engine();

  return { init: () => engine().init(), generate, models };
}
