/**
 * The few web-platform globals the engine may use: present in browsers, workers and Node alike, but
 * declared only by the DOM lib, which the engine must not see (tsconfig.engine.json).
 */
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: ArrayBufferView | ArrayBuffer): string;
}

/** Cancellation (downloads in src/cache): the same in browsers, workers and Node 18+. */
declare class AbortSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}
declare class AbortController {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
}

/** The monotonic clock, for step timings and ETAs (browsers, workers and Node all have it). */
declare const performance: { now(): number };
