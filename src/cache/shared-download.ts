import { AbortError } from '../errors';
import type { DownloadProgress } from './progress';

/**
 * One download shared by every caller asking for the same URL at the same time. Each caller has
 * its own signal and progress listener; cancelling detaches that caller only, and the network
 * transfer stops when the last caller has gone.
 */
export interface SharedDownload<T> {
  readonly promise: Promise<T>;
  /** Joins the download; rejects with AbortError when `signal` fires, whatever the others do. */
  join(signal: AbortSignal | undefined, onProgress: ((p: DownloadProgress) => void) | undefined): Promise<T>;
  /** Stops it for everyone (delete while downloading). */
  abort(): void;
}

export type DownloadRunner<T> = (signal: AbortSignal, onProgress: (p: DownloadProgress) => void) => Promise<T>;

export function createSharedDownload<T>(run: DownloadRunner<T>, what: string, onLastLeft: () => void): SharedDownload<T> {
  const controller = new AbortController();
  const listeners = new Set<(p: DownloadProgress) => void>();
  let callers = 0;
  const promise = run(controller.signal, (p) => listeners.forEach((l) => l(p)));
  // The shared promise may settle with nobody attached (all cancelled); that is not an unhandled rejection.
  promise.catch(() => undefined);
  const leave = (listener: ((p: DownloadProgress) => void) | undefined) => {
    if (listener) listeners.delete(listener);
    if (--callers === 0) {
      onLastLeft();
      controller.abort();
    }
  };
  return {
    promise,
    abort: () => controller.abort(),
    join(signal, onProgress) {
      if (signal?.aborted) return Promise.reject(new AbortError(`download of ${what} cancelled`));
      callers++;
      if (onProgress) listeners.add(onProgress);
      return new Promise<T>((resolve, reject) => {
        const onAbort = () => {
          leave(onProgress);
          reject(new AbortError(`download of ${what} cancelled`));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        const detach = () => signal?.removeEventListener('abort', onAbort);
        promise.then(
          (value) => (detach(), onProgress && listeners.delete(onProgress), resolve(value)),
          (err: unknown) => (detach(), onProgress && listeners.delete(onProgress), reject(err)),
        );
      });
    },
  };
}
