/**
 * Cross-tab coordination of the cache's files with Web Locks (navigator.locks, in pages and
 * workers alike): tabs of one origin share the IndexedDB records, so two tabs downloading one URL
 * would write the same chunks, and a delete in one tab would pull chunks from under a generation
 * reading them in another. Each file URL has one lock: download, import and delete hold it
 * exclusively, a generation reading the file holds it shared. An operation also holds a marker lock
 * naming what it does, so one that waits can say what for ("downloading in another tab").
 *
 * Engine-side: the lock manager is passed in (structurally, as the DOM's LockManager fits); without
 * one (Node, tests) operations run at once.
 */
export type FileOperation = 'download' | 'import' | 'delete' | 'generation';

type LockMode = 'exclusive' | 'shared';

interface LockInfoLike {
  readonly name?: string;
  readonly mode?: LockMode;
}

export interface LockManagerLike {
  request<T>(name: string, options: { mode?: LockMode; ifAvailable?: boolean; signal?: AbortSignal }, callback: (lock: unknown) => Promise<T> | T): Promise<T>;
  query?(): Promise<{ held?: LockInfoLike[] }>;
}

/** Called once when the lock is held elsewhere, with what holds it, before waiting for it. */
export type OnWait = (holder: FileOperation | undefined) => void;

const LOCK_PREFIX = 'clip-diffusion-web/file/';
const OPERATIONS: readonly FileOperation[] = ['download', 'import', 'delete', 'generation'];

export const fileLockName = (url: string): string => LOCK_PREFIX + url;
const markerName = (url: string, op: FileOperation): string => `${fileLockName(url)}#${op}`;
const modeOf = (op: FileOperation): LockMode => (op === 'generation' ? 'shared' : 'exclusive');

/** What holds the file's lock now, from the marker locks; undefined when the manager cannot say. */
async function holderOf(locks: LockManagerLike, url: string): Promise<FileOperation | undefined> {
  const held = (await locks.query?.().catch(() => undefined))?.held ?? [];
  return OPERATIONS.find((op) => held.some((l) => l.name === markerName(url, op)));
}

const NOT_RUN = Symbol('not run');

/**
 * Runs `fn` holding the file's lock in the operation's mode (and its marker). When the lock is
 * taken, `onWait` hears what holds it, then this waits; `signal` stops the wait (AbortError).
 */
export async function withFileLock<T>(
  locks: LockManagerLike | undefined, url: string, op: FileOperation, fn: () => Promise<T>, wait: { onWait?: OnWait; signal?: AbortSignal } = {},
): Promise<T> {
  if (!locks) return fn();
  const mode = modeOf(op);
  const marked = () => locks.request(markerName(url, op), { mode: 'shared' }, fn);
  const now = await locks.request<T | typeof NOT_RUN>(fileLockName(url), { mode, ifAvailable: true }, (lock) => (lock ? marked() : NOT_RUN));
  if (now !== NOT_RUN) return now as T;
  wait.onWait?.(await holderOf(locks, url));
  return locks.request(fileLockName(url), { mode, ...(wait.signal ? { signal: wait.signal } : {}) }, marked);
}

/** Holds the file locks of `urls` in the operation's mode, one after the other, around `fn`. */
export function withFileLocks<T>(locks: LockManagerLike | undefined, urls: readonly string[], op: FileOperation, fn: () => Promise<T>, wait: { onWait?: (url: string, holder: FileOperation | undefined) => void; signal?: AbortSignal } = {}): Promise<T> {
  const [first, ...rest] = [...new Set(urls)].sort();
  if (first === undefined) return fn();
  const onWait: OnWait = (holder) => wait.onWait?.(first, holder);
  return withFileLock(locks, first, op, () => withFileLocks(locks, rest, op, fn, wait), { onWait, ...(wait.signal ? { signal: wait.signal } : {}) });
}

const HOLDERS: Record<FileOperation, string> = {
  download: 'downloading in another tab',
  import: 'importing in another tab',
  delete: 'being deleted in another tab',
  generation: 'in use by a generation',
};

/** "waiting, downloading in another tab…": what an operation on a locked file waits for, in words. */
export const waitingText = (holder: FileOperation | undefined): string => `waiting, ${holder ? HOLDERS[holder] : 'busy in another tab'}…`;
