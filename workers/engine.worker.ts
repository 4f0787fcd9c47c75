import { expose, transfer } from 'comlink';
import { createRuntime, type Backend, type OrtModule, type Runtime } from '../src/runtime';
import { findWebGpuAdapter } from './backend';
import { isDeviceLost, runJob } from './generation';
import type { JobEvent, JobRequest, JobResult } from './job-types';
import { watchWasmMemories } from './wasm-memory';
import { createModelService, type ModelService } from './model-service';

const ORT_URL = `${import.meta.env.BASE_URL}ort/ort.webgpu.bundle.min.mjs`;
const ORT_WASM_URL = `${import.meta.env.BASE_URL}ort/ort-wasm-simd-threaded.asyncify.wasm`;

export interface WorkerOptions {
  /** Test hook (`?chunkKiB=`): smaller cache records, so a cut-off download resumes mid-file. */
  readonly chunkBytes?: number;
}

/** The worker's registry: the runtime, made once, the model service and the jobs in flight. */
const registry = {
  runtime: undefined as Promise<Runtime> | undefined,
  models: undefined as ModelService | undefined,
  jobs: new Map<string, { aborted: boolean }>(),
};

async function startRuntime(): Promise<Runtime> {
  watchWasmMemories();
  const ort = (await import(/* @vite-ignore */ new URL(ORT_URL, self.location.origin).href)) as OrtModule;
  const found = await findWebGpuAdapter(self.navigator.gpu);
  // wasm threads need SharedArrayBuffer, which only a cross-origin-isolated page has.
  const threads = self.crossOriginIsolated ? Math.min(4, self.navigator.hardwareConcurrency || 1) : 1;
  return createRuntime(ort, {
    threads,
    wasmPaths: { wasm: new URL(ORT_WASM_URL, self.location.origin).href },
    ...(found.adapter ? { adapter: found.adapter } : {}),
    ...(found.reason ? { fallbackReason: found.reason } : {}),
  });
}

const runtime = (): Promise<Runtime> => (registry.runtime ??= startRuntime());
const models = (): ModelService => (registry.models ??= createModelService());

const modelsApi = {
  configure(options: WorkerOptions): void {
    registry.models ??= createModelService(options);
  },
  loadModels: (packUrl?: string) => models().load(packUrl),
  modelStatuses: () => models().statuses(),
  storage: () => models().storage(),
  downloadModel: (id: string, onProgress: Parameters<ModelService['download']>[1]) => models().download(id, onProgress),
  cancelDownload: (id: string) => models().cancelDownload(id),
  importModelFile: (id: string, file: File, onProgress: Parameters<ModelService['importFile']>[2]) => models().importFile(id, file, onProgress),
  deleteModel: (id: string, onProgress?: Parameters<ModelService['deleteModel']>[1]) => models().deleteModel(id, onProgress),
  deleteAllModels: () => models().deleteAll(),
};

const api = {
  ...modelsApi,
  async init(): Promise<Backend> {
    return (await runtime()).backend;
  },

  async generate(jobId: string, request: JobRequest, onEvent: (e: JobEvent) => void): Promise<JobResult> {
    const job = { aborted: false };
    registry.jobs.set(jobId, job);
    try {
      const result = await runJob(await runtime(), models(), request, onEvent, job);
      return transfer(result, result.images.flatMap((i) => [i.rgba.buffer, ...(i.sr ? [i.sr.rgba.buffer] : [])]));
    } catch (err) {
      // A lost WebGPU device: the next job starts a fresh runtime (and device) and recreates the sessions.
      if (isDeviceLost(err)) registry.runtime = undefined;
      throw err;
    } finally {
      registry.jobs.delete(jobId);
    }
  },

  cancel(jobId: string): void {
    const job = registry.jobs.get(jobId);
    if (job) job.aborted = true;
  },
};

export type EngineApi = typeof api;

expose(api);
