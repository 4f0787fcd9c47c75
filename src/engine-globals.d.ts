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
