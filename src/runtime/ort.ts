import type * as Ort from 'onnxruntime-web';
import { EngineError } from '../errors';
import type { DType, ExternalFile } from '../graph';
import type { HostTensor } from './host-tensor';
import { createQueue } from './queue';

/**
 * An onnxruntime module: onnxruntime-web (the browser bundle in the worker, its Node build in tests
 * and with `--backend wasm`) or onnxruntime-node (the CLI and benches by default). Both are
 * onnxruntime-common's API; only these three members are used.
 */
export type OrtModule = Pick<typeof Ort, 'InferenceSession' | 'Tensor' | 'env'>;

/** webgpu and wasm: onnxruntime-web; cpu: onnxruntime-node's native CPU EP. */
export type ExecutionProvider = 'webgpu' | 'wasm' | 'cpu';

export interface AdapterInfo {
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  readonly isFallbackAdapter: boolean;
}

/** Which backend sessions run on, as the page shows it. */
export interface Backend {
  readonly ep: ExecutionProvider;
  readonly adapter?: AdapterInfo;
  readonly threads: number;
  /** Why WebGPU is not used, when it is not. */
  readonly fallbackReason?: string;
}

export interface Session {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Readonly<Record<string, HostTensor>>): Promise<Record<string, HostTensor>>;
  dispose(): Promise<void>;
}

export interface Runtime {
  readonly backend: Backend;
  /** `external` holds the files a model's external-data constants point into. */
  createSession(model: Uint8Array, external?: readonly ExternalFile[]): Promise<Session>;
}

export interface RuntimeOptions {
  /** A WebGPU adapter the caller found; without one, sessions run on wasm. */
  readonly adapter?: AdapterInfo;
  readonly threads?: number;
  /** Where the .wasm file is served (browser); Node finds its own. */
  readonly wasmPaths?: Ort.Env.WasmPrefixOrFilePaths;
  /** Set when the caller looked for WebGPU and found none (or, in Node, for the native binding). */
  readonly fallbackReason?: string;
  /** `ort` is onnxruntime-node: sessions run on its native CPU EP with `threads` intra-op threads. */
  readonly native?: boolean;
}

const toOrt = (ort: OrtModule, t: HostTensor): Ort.Tensor => new ort.Tensor(t.dtype, t.data, t.shape);

const fromOrt = (t: Ort.Tensor): HostTensor => ({ dtype: t.type as DType, shape: t.dims, data: t.data as HostTensor['data'] });

function wrapSession(ort: OrtModule, session: Ort.InferenceSession, queue: ReturnType<typeof createQueue>): Session {
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    run: (feeds) =>
      queue(async () => {
        const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, toOrt(ort, v)]));
        const out = await session.run(ortFeeds);
        // Outputs are copied to the host and released, so no GPU buffer outlives the call.
        const host = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, fromOrt(v)]));
        for (const t of Object.values(out)) t.dispose();
        return host;
      }),
    dispose: () => queue(() => session.release()),
  };
}

function initialBackend(options: RuntimeOptions, threads: number): Backend {
  if (options.native) return { ep: 'cpu', threads };
  if (options.adapter) return { ep: 'webgpu', adapter: options.adapter, threads };
  return { ep: 'wasm', threads, ...(options.fallbackReason === undefined ? {} : { fallbackReason: options.fallbackReason }) };
}

/**
 * The one place onnxruntime is driven, web or native. With onnxruntime-web, sessions are created on
 * WebGPU when an adapter was found, else on wasm; a WebGPU session that fails to create falls back to
 * wasm and says why. With onnxruntime-node (`native`), on its CPU EP.
 */
export function createRuntime(ort: OrtModule, options: RuntimeOptions = {}): Runtime {
  const threads = options.threads ?? 1;
  // Native threads are a session option; onnxruntime-web's wasm threads are process-wide.
  if (!options.native) ort.env.wasm.numThreads = threads;
  if (options.wasmPaths !== undefined) ort.env.wasm.wasmPaths = options.wasmPaths;
  const queue = createQueue();
  let backend = initialBackend(options, threads);

  const create = (model: Uint8Array, ep: ExecutionProvider, external: readonly ExternalFile[]) =>
    queue(() =>
      ort.InferenceSession.create(model, {
        executionProviders: [ep],
        graphOptimizationLevel: 'all',
        // Native: no memory pattern. With it the second run allocates the planned block afresh, so the
        // first two runs of a session pay first-touch page faults (the 256² UNet's guidance graph:
        // 13.8 s then 4.0 s) and the process holds ~3 GB more (9.6 against 6.6 GiB); without it the
        // second run is near the warm 4.0 s.
        ...(ep === 'cpu' ? { intraOpNumThreads: threads, enableMemPattern: false } : {}),
        ...(external.length > 0 ? { externalData: external.map(({ path, data }) => ({ path, data })) } : {}),
      }),
    );

  return {
    get backend() {
      return backend;
    },
    async createSession(model, external = []) {
      if (backend.ep === 'webgpu') {
        try {
          return wrapSession(ort, await create(model, 'webgpu', external), queue);
        } catch (err) {
          backend = { ep: 'wasm', threads, fallbackReason: `WebGPU session failed: ${(err as Error).message}` };
        }
      }
      try {
        return wrapSession(ort, await create(model, backend.ep, external), queue);
      } catch (err) {
        throw new EngineError(`could not create an onnxruntime session: ${(err as Error).message}`);
      }
    },
  };
}
