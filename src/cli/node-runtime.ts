import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import * as ortWeb from 'onnxruntime-web';
import { SettingsError } from '../errors';
import { createRuntime, type Backend, type OrtModule, type Runtime } from '../runtime/index';

/**
 * The runtime of everything that runs models in Node (the CLI's commands, the benches): onnxruntime-node's
 * native CPU EP by default, or onnxruntime-web's wasm EP, the browser's fallback, with `--backend wasm`.
 * src/runtime drives both; this module only loads the native one, which needs Node.
 */
export type BackendChoice = 'native' | 'wasm';

export interface BackendOptions {
  readonly backend: BackendChoice;
  /** Intra-op threads (native) or wasm threads. */
  readonly threads: number;
}

export const BACKEND_USAGE = '--backend native|wasm (default native: onnxruntime-node; wasm: onnxruntime-web, as the browser runs it) --threads N (default: all cores)';

export const defaultBackendOptions = (): BackendOptions => ({ backend: 'native', threads: availableParallelism() });

/**
 * Takes `--backend` and `--threads` (`--name value` or `--name=value`) out of a command line and
 * returns them with the other arguments, in order, for the command's own parser.
 */
export function parseBackendArgs(args: readonly string[]): { options: BackendOptions; rest: string[] } {
  let { backend, threads } = defaultBackendOptions();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [name, inline] = args[i]!.split(/=(.*)/s) as [string, string | undefined];
    if (name !== '--backend' && name !== '--threads') {
      rest.push(args[i]!);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw new SettingsError(`${name} needs a value`);
    if (name === '--backend') {
      if (value !== 'native' && value !== 'wasm') throw new SettingsError(`--backend: '${value}' is not one of native, wasm`);
      backend = value;
    } else {
      threads = Number(value);
      if (!Number.isInteger(threads) || threads < 1) throw new SettingsError(`--threads: expected a positive integer, got '${value}'`);
    }
  }
  return { options: { backend, threads }, rest };
}

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
 * command too: `nodeRuntime(parseBackendArgs(args).options)`).
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
