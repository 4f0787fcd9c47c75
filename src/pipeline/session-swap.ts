import type { Runtime, Session } from '../runtime';
import type { RunSession } from './models';

export interface SessionSwapHooks {
  onCreate?(key: string, ms: number): void;
  onRun?(key: string, ms: number): void;
}

export interface SessionSwap {
  /** A session that exists only while it is the one in use: running it first releases whichever other is held. */
  session(key: string, bytes: () => Promise<Uint8Array>): RunSession;
  /** Releases the held session if it is `key`'s. */
  release(key: string): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * At most one onnxruntime session alive at a time. The art UNet (forward and VJP forms, ~475 MB of
 * weights each) and ViT-B/16's guidance gradient do not fit one wasm32 instance's 4 GiB heap
 * together; a guided step uses them one after another (forward, guidance runs, VJP), so holding one
 * at a time costs three session creations per step (seconds, against minutes of compute on wasm).
 */
export function sessionSwap(runtime: Runtime, hooks: SessionSwapHooks = {}): SessionSwap {
  let held: { key: string; session: Session } | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const drop = async () => {
    const h = held;
    held = undefined;
    await h?.session.dispose();
  };
  const acquire = async (key: string, bytes: () => Promise<Uint8Array>): Promise<Session> => {
    if (held?.key === key) return held.session;
    await drop();
    const t0 = performance.now();
    const session = await runtime.createSession(await bytes());
    hooks.onCreate?.(key, performance.now() - t0);
    held = { key, session };
    return session;
  };
  // Runs are serialised so that a swap never disposes a session another run is using.
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    session: (key, bytes) => ({
      run: (feeds) => serial(async () => {
        const session = await acquire(key, bytes);
        const t0 = performance.now();
        const out = await session.run(feeds);
        hooks.onRun?.(key, performance.now() - t0);
        return out;
      }),
    }),
    release: (key) => serial(async () => (held?.key === key ? drop() : undefined)),
    dispose: () => serial(drop),
  };
}
