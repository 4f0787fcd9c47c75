import type { CDPSession, Page } from 'playwright-core';

export interface WorkerMemory {
  /** After a full GC: the worker's V8 heap (Runtime.getHeapUsage usedSize). */
  readonly usedSize: number;
  /** ArrayBuffer backing stores the worker's heap holds (Runtime.getHeapUsage backingStorageSize). */
  readonly backingStorageSize: number;
  /**
   * Bytes of onnxruntime's wasm heap (one shared Memory, created by the engine worker and lent to
   * ORT's pthread workers), from the worker's probe `self.wasmHeapBytes()` (workers/wasm-memory.ts).
   */
  readonly wasm: readonly number[];
}

interface Reply {
  readonly id?: number;
  readonly result?: Record<string, unknown>;
  readonly error?: { message: string };
}

/**
 * Measures the studio's engine worker through a CDP session of its own, attached for this
 * measurement only (a session kept across jobs was found detached after one): Playwright's
 * newCDPSession takes pages and frames only, so this attaches to the worker target unflattened and
 * talks through Target.sendMessageToTarget.
 */
export async function measureWorker(page: Page, urlPart = 'engine.worker'): Promise<WorkerMemory> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  try {
    const { targetInfos } = await cdp.send('Target.getTargets');
    const target = targetInfos.find((t) => t.type === 'worker' && t.url.includes(urlPart));
    if (!target) throw new Error(`no worker target with ${urlPart} in its URL (${targetInfos.map((t) => `${t.type} ${t.url}`).join(', ')})`);
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
    const send = workerSender(cdp, sessionId);
    await send('HeapProfiler.collectGarbage');
    const usage = await send('Runtime.getHeapUsage');
    const sizes = await send('Runtime.evaluate', { expression: 'self.wasmHeapBytes?.() ?? []', returnByValue: true });
    await cdp.send('Target.detachFromTarget', { sessionId }).catch(() => undefined);
    return { usedSize: usage.usedSize as number, backingStorageSize: (usage.backingStorageSize as number | undefined) ?? 0, wasm: (sizes.result as { value: number[] }).value };
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

/** Sends CDP commands to an unflattened target session and awaits their replies (20 s at most each). */
function workerSender(cdp: CDPSession, sessionId: string) {
  const pending = new Map<number, (reply: Reply) => void>();
  let next = 0;
  cdp.on('Target.receivedMessageFromTarget', (event) => {
    if (event.sessionId !== sessionId) return;
    const reply = JSON.parse(event.message) as Reply;
    if (reply.id === undefined) return;
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  return async (method: string, params: object = {}): Promise<Record<string, unknown>> => {
    const id = ++next;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const reply = new Promise<Reply>((resolve, reject) => {
      pending.set(id, resolve);
      timer = setTimeout(() => reject(new Error(`${method} in the worker: no reply in 20 s`)), 20_000);
    });
    await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) });
    const { result, error } = await reply.finally(() => clearTimeout(timer));
    if (error) throw new Error(`${method} in the worker: ${error.message}`);
    return result ?? {};
  };
}
