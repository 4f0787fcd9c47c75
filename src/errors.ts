/**
 * Every error the engine raises. `name` is the discriminant: comlink rethrows only name, message
 * and stack across the worker boundary, so callers switch on `err.name`, never on `instanceof`.
 * Messages name the op, tensor, shapes or byte offset involved.
 */
export class EngineError extends Error {
  override name = 'EngineError';
}

/** A checkpoint file is corrupt, hostile, truncated or of an unsupported format. */
export class CheckpointError extends EngineError {
  override name = 'CheckpointError';
}

/** A graph was built with tensors whose shapes or dtypes do not fit the op. */
export class ShapeError extends EngineError {
  override name = 'ShapeError';
}

/** An op (or an op's gradient) the graph builder does not support. */
export class UnsupportedOpError extends EngineError {
  override name = 'UnsupportedOpError';
}

/** Storage, quota or download failure in the weight cache. */
export class CacheError extends EngineError {
  override name = 'CacheError';
}

/** A sampling setting or prompt that cannot be used: a respacing with no exact stride, prompt weights summing to 0. */
export class SettingsError extends EngineError {
  override name = 'SettingsError';
}

/** A converted model (a pack's model.json and ONNX files) that is corrupt or does not fit the others or the job. */
export class PackError extends EngineError {
  override name = 'PackError';
}

/** A job was cancelled. Same name as the DOM's AbortError so both are handled alike. */
export class AbortError extends EngineError {
  override name = 'AbortError';
}

/**
 * The WebGPU device onnxruntime runs on went away (driver reset, GPU process crash, destroy()). The
 * worker's onnxruntime made its device once and has no supported way to replace it, so the page
 * restarts the worker for the next job.
 */
export class DeviceLostError extends EngineError {
  override name = 'DeviceLostError';
}

export const isDeviceLostError = (err: unknown): boolean => err instanceof Error && err.name === 'DeviceLostError';

export const isAbortError = (err: unknown): boolean => err instanceof Error && err.name === 'AbortError';

/** An image that cannot be read or used: corrupt, unsupported, or too large. */
export class ImageError extends EngineError {
  override name = 'ImageError';
}

/** Structurally an AbortSignal: the engine only asks whether its job was cancelled. */
export interface CancelSignal {
  readonly aborted: boolean;
}

export function throwIfAborted(signal: CancelSignal | undefined, what: string): void {
  if (signal?.aborted) throw new AbortError(`${what} cancelled`);
}
