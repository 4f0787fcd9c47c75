import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import * as ortWeb from 'onnxruntime-web';
import { createRuntime, type Backend, type OrtModule, type Runtime } from './ort';

/**
 * The runtime of everything that runs models in Node (the CLI's commands, the benches): onnxruntime-node's
 * native CPU EP by default, or onnxruntime-web's wasm EP, the browser's fallback, with `--backend wasm`.
 * Loading the native binding needs Node, so index.ts (which the worker imports) does not export this.
 */
export type BackendChoice = 'native' | 'wasm';

export interface BackendOptions {
  readonly backend: BackendChoice;
  /** Intra-op threads (native) or wasm threads. */
  readonly threads: number;
}

export const defaultBackendOptions = (): BackendOptions => ({ backend: 'native', threads: availableParallelism() });

/** The onnxruntime module for a backend choice; `fallbackReason` when native was asked for and could not load. */
export type BackendLoader = (choice: BackendChoice) => { ort: OrtModule; native: boolean; fallbackReason?: string };

const requireNative = (): OrtModule => createRequire(import.meta.url)('onnxruntime-node') as OrtModule;

/**
 * Loads onnxruntime-node at most once. When its native binding cannot load (no binary for this
 * platform, a missing system library), native runs fall back to wasm, and `warn` is told once.
 */
export function backendLoader(loadNative: () => OrtModule = requireNative, warn: (line: string) => void = (line) => console.error(line)): BackendLoader {
  let native: { ort: OrtModule } | { error: string } | undefined;
  return (choice) => {
    if (choice === 'wasm') return { ort: ortWeb, native: false };
    if (native === undefined) {
      try {
        native = { ort: loadNative() };
      } catch (err) {
        native = { error: `onnxruntime-node could not load (${(err as Error).message.split('\n')[0]})` };
        warn(`note: ${native.error}; running on onnxruntime-web's wasm backend instead`);
      }
    }
    return 'ort' in native ? { ort: native.ort, native: true } : { ort: ortWeb, native: false, fallbackReason: native.error };
  };
}

const processLoader = backendLoader();

/**
 * A Runtime on the chosen backend: the one call for any Node code that runs models (the conformance
 * command too: `nodeRuntime(parseBackendArgs(args).options)`, src/cli/backend-args.ts).
 */
export function nodeRuntime(options: BackendOptions = defaultBackendOptions(), load: BackendLoader = processLoader): Runtime {
  const { ort, native, fallbackReason } = load(options.backend);
  return createRuntime(ort, { threads: options.threads, native, ...(fallbackReason === undefined ? {} : { fallbackReason }) });
}

/** One line naming the backend a runtime runs on, for logs and bench notes. */
export function describeNodeBackend(backend: Backend): string {
  const threads = `${backend.threads} thread${backend.threads === 1 ? '' : 's'}`;
  return backend.ep === 'cpu' ? `native onnxruntime-node (CPU EP), ${threads}` : `onnxruntime-web ${backend.ep}, ${threads}`;
}

/** The backend choice a runtime actually runs on (wasm after a fallback). */
export const backendChoiceOf = (backend: Backend): BackendChoice => (backend.ep === 'cpu' ? 'native' : 'wasm');
