import { expose, transfer } from 'comlink';
import { generateSkeleton, type SkeletonImage, type SkeletonRequest, type StepProgress } from '../src/models/skeleton';
import { createRuntime, type Backend, type OrtModule, type Runtime } from '../src/runtime';
import { findWebGpuAdapter } from './backend';

const ORT_URL = `${import.meta.env.BASE_URL}ort/ort.webgpu.bundle.min.mjs`;
const ORT_WASM_URL = `${import.meta.env.BASE_URL}ort/ort-wasm-simd-threaded.asyncify.wasm`;

/** The worker's session registry: the runtime, made once, and the jobs in flight. */
const registry = {
  runtime: undefined as Promise<Runtime> | undefined,
  jobs: new Map<string, { aborted: boolean }>(),
};

async function startRuntime(): Promise<Runtime> {
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

const api = {
  async init(): Promise<Backend> {
    return (await runtime()).backend;
  },

  async generate(jobId: string, request: SkeletonRequest, onProgress: (p: StepProgress) => void): Promise<SkeletonImage & { backend: Backend }> {
    const job = { aborted: false };
    registry.jobs.set(jobId, job);
    try {
      const rt = await runtime();
      const image = await generateSkeleton(rt, request, onProgress, job);
      return transfer({ ...image, backend: rt.backend }, [image.rgba.buffer]);
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
