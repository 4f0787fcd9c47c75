import { expose, transfer } from 'comlink';
import { ORT_BUNDLE, ORT_WASM } from 'virtual:ort-files';
import { createRuntime, type Backend, type OrtModule, type Runtime } from '../src/runtime';
import { findWebGpuAdapter } from './backend';
import { asDeviceLost, deviceWatch, type DeviceWatch } from './device-loss';
import { runJob } from './generation';
import type { JobEvent, JobRequest, JobResult, TrainingBase } from './job-types';
import { watchWasmMemories } from './wasm-memory';
import { createModelService, type ModelService } from './model-service';
import { runTraining, trainingEstimate, type TrainEvent, type TrainRequest } from './training-job';
import type { TrainOptions } from '../src/training';

const ORT_URL = `${import.meta.env.BASE_URL}${ORT_BUNDLE}`;
const ORT_WASM_URL = `${import.meta.env.BASE_URL}${ORT_WASM}`;

export interface WorkerOptions {
  /** Test hook (`?chunkKiB=`): smaller cache records, so a cut-off download resumes mid-file. */
  readonly chunkBytes?: number;
  /** Test hook (`?githubApi=`): GitHub's REST API served by a local stand-in. */
  readonly githubApi?: string;
  /** Test hook (`?loseDeviceAtStep=`): the GPU device is destroyed once, when a job reaches this step. */
  readonly loseDeviceAtStep?: number;
}

interface Engine {
  readonly runtime: Runtime;
  /** The WebGPU device onnxruntime uses, watched for loss. */
  readonly device: DeviceWatch;
}

/** The worker's registry: the runtime, made once, the model service and the jobs in flight. */
const registry = {
  engine: undefined as Promise<Engine> | undefined,
  models: undefined as ModelService | undefined,
  jobs: new Map<string, { aborted: boolean }>(),
  /** Training runs in flight, by id: Stop sets `stop`, and the run ends after its step with the last state saved. */
  runs: new Map<string, { stop: boolean }>(),
  loseDeviceAtStep: undefined as number | undefined,
};

async function startEngine(): Promise<Engine> {
  watchWasmMemories();
  const ort = (await import(/* @vite-ignore */ new URL(ORT_URL, self.location.origin).href)) as OrtModule;
  const found = await findWebGpuAdapter(self.navigator.gpu);
  // wasm threads need SharedArrayBuffer, which only a cross-origin-isolated page has.
  const threads = self.crossOriginIsolated ? Math.min(4, self.navigator.hardwareConcurrency || 1) : 1;
  const runtime = createRuntime(ort, {
    threads,
    wasmPaths: { wasm: new URL(ORT_WASM_URL, self.location.origin).href },
    ...(found.adapter ? { adapter: found.adapter } : {}),
    ...(found.reason ? { fallbackReason: found.reason } : {}),
  });
  return { runtime, device: deviceWatch(ort) };
}

const engine = (): Promise<Engine> => (registry.engine ??= startEngine());
const models = (): ModelService => (registry.models ??= createModelService());

/** After each step: watch the device once onnxruntime has made it; the loss test hook. */
function deviceHooks(doneSteps: number, device: DeviceWatch): void {
  void device.attach();
  if (doneSteps !== registry.loseDeviceAtStep) return;
  registry.loseDeviceAtStep = undefined;
  void device.destroy();
}

const modelsApi = {
  configure(options: WorkerOptions): void {
    registry.models ??= createModelService(options);
    registry.loseDeviceAtStep = options.loseDeviceAtStep ?? registry.loseDeviceAtStep;
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
  /** The backend, and the build this worker's code comes from (the page checks it is its own). */
  async init(): Promise<{ backend: Backend; build: string }> {
    return { backend: (await engine()).runtime.backend, build: __BUILD_ID__ };
  },

  async generate(jobId: string, request: JobRequest, onEvent: (e: JobEvent) => void): Promise<JobResult> {
    const job = { aborted: false };
    registry.jobs.set(jobId, job);
    try {
      const { runtime, device } = await engine();
      await device.attach();
      const events = (e: JobEvent) => {
        onEvent(e);
        if (e.type === 'step') deviceHooks(e.doneSteps, device);
      };
      // The job ends as soon as the device is lost, even if onnxruntime's pending GPU work never settles.
      const result = await Promise.race([runJob(runtime, models(), request, events, job), device.lost]);
      return transfer(result, result.images.flatMap((i) => [i.rgba.buffer, ...(i.sr ? [i.sr.rgba.buffer] : [])]));
    } catch (err) {
      // A lost device leaves this worker's onnxruntime unusable: the client restarts the worker on DeviceLostError.
      throw asDeviceLost(err);
    } finally {
      registry.jobs.delete(jobId);
    }
  },

  cancel(jobId: string): void {
    const job = registry.jobs.get(jobId);
    if (job) job.aborted = true;
  },

  async trainingEstimate(options: TrainOptions, base: TrainingBase) {
    return trainingEstimate((await engine()).runtime, models(), options, base);
  },

  async train(runId: string, request: TrainRequest, onEvent: (e: TrainEvent) => void): Promise<{ steps: number }> {
    const run = { stop: false };
    registry.runs.set(runId, run);
    try {
      const { runtime, device } = await engine();
      await device.attach();
      return await Promise.race([runTraining(runtime, models(), request, onEvent, run), device.lost]);
    } catch (err) {
      throw asDeviceLost(err);
    } finally {
      registry.runs.delete(runId);
    }
  },

  stopTraining(runId: string): void {
    const run = registry.runs.get(runId);
    if (run) run.stop = true;
  },
};

export type EngineApi = typeof api;

expose(api);
