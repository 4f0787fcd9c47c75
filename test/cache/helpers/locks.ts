import type { LockManagerLike } from '../../../src/cache';

type Mode = 'exclusive' | 'shared';

interface LockState {
  mode: Mode;
  holders: number;
  readonly waiters: { readonly mode: Mode; readonly grant: () => void }[];
}

/**
 * navigator.locks for Node tests, as the Web Locks spec grants them: in request order, shared with
 * shared, exclusive alone; `ifAvailable` gets null instead of waiting; `signal` drops a queued request.
 * Two caches given the same manager behave as two tabs of one origin.
 */
export function memoryLocks(): LockManagerLike {
  const states = new Map<string, LockState>();
  const stateOf = (name: string) => states.get(name) ?? states.set(name, { mode: 'shared', holders: 0, waiters: [] }).get(name)!;
  const free = (s: LockState, mode: Mode) => s.holders === 0 || (mode === 'shared' && s.mode === 'shared');
  const take = (s: LockState, mode: Mode) => {
    s.mode = mode;
    s.holders++;
  };
  const pump = (s: LockState) => {
    for (let next = s.waiters[0]; next && free(s, next.mode); next = s.waiters[0]) {
      s.waiters.shift();
      take(s, next.mode);
      next.grant();
    }
  };
  /** Runs the callback on a lock already taken, then releases it. */
  async function hold<T>(s: LockState, mode: Mode, callback: (lock: unknown) => Promise<T> | T): Promise<T> {
    try {
      return await callback({ mode });
    } finally {
      s.holders--;
      pump(s);
    }
  }
  return {
    async request(name, options, callback) {
      const s = stateOf(name);
      const mode = options.mode ?? 'exclusive';
      if (s.waiters.length === 0 && free(s, mode)) {
        take(s, mode);
        return hold(s, mode, callback);
      }
      if (options.ifAvailable) return callback(null);
      await new Promise<void>((resolve, reject) => {
        const waiter = { mode, grant: resolve };
        s.waiters.push(waiter);
        options.signal?.addEventListener('abort', () => {
          s.waiters.splice(s.waiters.indexOf(waiter), 1);
          reject(new DOMException('lock request aborted', 'AbortError'));
        }, { once: true });
      });
      return hold(s, mode, callback);
    },
    query: () => Promise.resolve({ held: [...states].filter(([, s]) => s.holders > 0).map(([name, s]) => ({ name, mode: s.mode })) }),
  };
}
