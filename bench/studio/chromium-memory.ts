import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface MemoryPeak {
  /** All of this process's descendants (the Chromium processes the bench launched), summed. */
  readonly totalMiB: number;
  /** The largest single one: the renderer that holds the page and its engine worker (and the wasm heap). */
  readonly largestMiB: number;
}

/** Resident set of every descendant of `root`, from `ps` (Linux). */
async function descendantsRss(root: number): Promise<number[]> {
  const { stdout } = await run('ps', ['-e', '-o', 'pid=,ppid=,rss=']);
  const rows = stdout.trim().split('\n').map((line) => line.trim().split(/\s+/).map(Number) as [number, number, number]);
  const children = new Map<number, [number, number][]>();
  for (const [pid, ppid, rss] of rows) children.set(ppid, [...(children.get(ppid) ?? []), [pid, rss]]);
  const out: number[] = [];
  const walk = (pid: number): void => {
    for (const [child, rss] of children.get(pid) ?? []) {
      out.push(rss * 1024);
      walk(child);
    }
  };
  walk(root);
  return out;
}

/**
 * Samples the Chromium processes' memory every `everyMs` until `stop()`, which returns the peaks
 * since `start` (or since the last `reset()`).
 */
export function sampleChromiumMemory(everyMs = 1000) {
  let peak = { total: 0, largest: 0 };
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const rss = await descendantsRss(process.pid);
      peak = { total: Math.max(peak.total, rss.reduce((a, b) => a + b, 0)), largest: Math.max(peak.largest, ...rss, 0) };
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick().catch(() => undefined), everyMs);
  const read = (): MemoryPeak => ({ totalMiB: Math.round(peak.total / 2 ** 20), largestMiB: Math.round(peak.largest / 2 ** 20) });
  return {
    /** The peaks so far, then starts over. */
    reset(): MemoryPeak {
      const p = read();
      peak = { total: 0, largest: 0 };
      return p;
    },
    stop(): MemoryPeak {
      clearInterval(timer);
      return read();
    },
  };
}
