import type { ByteSource } from '../checkpoint/index';

/**
 * What `npm run cli -- convert <kind>` hands a model kind's converter (and what the browser's import
 * can hand it too): the checkpoint, its digest (hashing stays with the host: node:crypto in the CLI,
 * crypto.subtle in the browser), the storage precision and the kind's own options.
 */
export interface ConvertRequest {
  readonly source: ByteSource;
  /** The checkpoint's file name, for messages and model.json. */
  readonly sourceName: string;
  readonly sourceSha256: string;
  /** Weight storage: true float16, false float32, undefined the kind's default. */
  readonly fp16?: boolean;
  /** The kind's options, command-line style (`--key value`), not yet parsed. */
  readonly args: readonly string[];
  /** Reads a text file an option names (a yaml config). */
  readonly readText: (path: string) => Promise<string>;
}

export interface ConvertedFile {
  readonly path: string;
  readonly data: Uint8Array;
}

/** The files to write (ONNX graphs, external data) and model.json's content. */
export interface ConvertedModel {
  readonly files: readonly ConvertedFile[];
  readonly manifest: Readonly<Record<string, unknown>>;
}

export type Converter = (request: ConvertRequest) => Promise<ConvertedModel>;
