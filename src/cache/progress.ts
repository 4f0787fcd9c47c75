import type { FileOperation } from './file-locks';

/** What a download reports, often enough for a progress bar (every `progressIntervalMs`, and at each phase change). */
export interface DownloadProgress {
  readonly url: string;
  /**
   * `waiting`: the file is locked by another tab (or a generation), see `waitingFor`; `rehashing`:
   * re-reading the stored part before resuming; `verifying`: checking size and SHA-256.
   */
  readonly phase: 'waiting' | 'rehashing' | 'downloading' | 'verifying' | 'done';
  /** In the `waiting` phase: what holds the file (undefined when the browser cannot say). */
  readonly waitingFor?: FileOperation | undefined;
  readonly bytesDone: number;
  /** Undefined when the server does not say (no Content-Length) and the manifest has no size. */
  readonly totalBytes: number | undefined;
  /** bytesDone / totalBytes in [0, 1]; undefined without a total. */
  readonly fraction: number | undefined;
  /** Over the last few seconds of this session (bytes resumed from the cache do not count). */
  readonly bytesPerSecond: number;
  readonly etaSeconds: number | undefined;
  /** With several sources: the one the bytes come from, and those passed over with the reason. */
  readonly source?: string;
  readonly skipped?: readonly { readonly url: string; readonly reason: string }[];
}

/** Speed is measured over this trailing window so a stall shows within seconds. */
const WINDOW_MS = 3000;
const SAMPLE_MS = 50;

interface Sample {
  readonly t: number;
  readonly bytes: number;
}

/** Bytes per second over a trailing window of (time, bytes received) samples. */
export function createRateMeter(windowMs = WINDOW_MS) {
  const samples: Sample[] = [];
  return {
    add(t: number, bytes: number): void {
      // Network reads come every few hundred microseconds on a fast link: keep one sample per
      // SAMPLE_MS (the newest), so the window holds a few dozen samples, not thousands.
      const before = samples[samples.length - 2];
      if (before && t - before.t < SAMPLE_MS) samples[samples.length - 1] = { t, bytes };
      else samples.push({ t, bytes });
      while (samples.length > 2 && samples[1]!.t <= t - windowMs) samples.shift();
    },
    /** Zero until two samples at least a millisecond apart exist. */
    rate(): number {
      const first = samples[0];
      const last = samples[samples.length - 1];
      if (!first || !last || last.t - first.t < 1) return 0;
      return ((last.bytes - first.bytes) * 1000) / (last.t - first.t);
    },
    reset(): void {
      samples.length = 0;
    },
  };
}

export interface ProgressReporter {
  /** Reports unless the last report was under the interval ago; `force` always reports. */
  report(phase: DownloadProgress['phase'], bytesDone: number, force?: boolean): void;
  setTotal(total: number | undefined): void;
  /** Forget the speed samples (the download restarted from byte 0). */
  restart(): void;
}

export interface ReporterOptions {
  readonly url: string;
  readonly now: () => number;
  readonly intervalMs: number;
  readonly onProgress: ((p: DownloadProgress) => void) | undefined;
}

export function createProgressReporter(options: ReporterOptions): ProgressReporter {
  const meter = createRateMeter();
  let total: number | undefined;
  let last = Number.NEGATIVE_INFINITY;
  return {
    report(phase, bytesDone, force = false) {
      const t = options.now();
      if (phase === 'downloading') meter.add(t, bytesDone);
      if (!options.onProgress || (!force && t - last < options.intervalMs)) return;
      last = t;
      options.onProgress(progressOf(options.url, phase, bytesDone, total, meter.rate()));
    },
    setTotal(value) {
      total = value;
    },
    restart: () => meter.reset(),
  };
}

export function progressOf(url: string, phase: DownloadProgress['phase'], bytesDone: number, totalBytes: number | undefined, bytesPerSecond: number): DownloadProgress {
  const fraction = totalBytes ? Math.min(1, bytesDone / totalBytes) : undefined;
  const etaSeconds = totalBytes !== undefined && bytesPerSecond > 0 ? Math.max(0, totalBytes - bytesDone) / bytesPerSecond : undefined;
  return { url, phase, bytesDone, totalBytes, fraction, bytesPerSecond, etaSeconds };
}

/** The report of an operation waiting for another one on the same file (file-locks.ts). */
export const waitingProgress = (url: string, waitingFor: FileOperation | undefined): DownloadProgress =>
  ({ url, phase: 'waiting', waitingFor, bytesDone: 0, totalBytes: undefined, fraction: undefined, bytesPerSecond: 0, etaSeconds: undefined });
