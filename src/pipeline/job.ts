import { throwIfAborted, type CancelSignal } from '../errors';
import type { CondFnResult, CondFnSetup } from '../models/guidance/index';
import {
  applyScaleMultiplier, createRng, createSchedule, hashString, sampleLoop, samplingMethod,
  type Rng, type SampleResult, type SampleShape, type Schedule, type StepEvent,
} from '../sampling/index';
import { guidedModel, type GuidedSessions } from './guided-model';
import type { GraphSpec, LoadedModels } from './models';
import { initImageTensor, makeTargets, type Targets } from './targets';
import { initLossRuns, validateSettings, type GenerationSettings } from './settings';
import { hostTensor } from '../runtime';

/** Everything a sample needs, made once per generate() call. */
export interface Job {
  readonly settings: GenerationSettings;
  readonly schedule: Schedule;
  readonly shape: SampleShape;
  readonly targets: Targets;
  readonly sessions: GuidedSessions;
  readonly guidanceSpec: GraphSpec;
  /** Cutouts per guidance run. */
  readonly subBatch: number;
  /** upstream's device generator (x_T and per-step noise) and CPU generator (cutouts), spec §13. */
  readonly noiseRng: Rng;
  readonly cpuRng: Rng;
  readonly initImage?: Float32Array;
}

/** The largest divisor of cutn not above the limit. */
export function subBatchOf(cutn: number, limit: number): number {
  for (let k = Math.min(cutn, Math.max(1, Math.floor(limit))); k > 1; k--) if (cutn % k === 0) return k;
  return 1;
}

/** The two streams of a seed: the same seed gives the same image on the same backend. */
export const seededStreams = (seed: number): { noiseRng: Rng; cpuRng: Rng } => ({ noiseRng: createRng(seed), cpuRng: createRng(hashString(`cutouts:${seed}`)) });

/** Schedule, targets and sessions for the settings (spec §3–4); the sessions stay with `models`. */
export async function prepareJob(settings: GenerationSettings, models: LoadedModels, signal?: CancelSignal): Promise<Job> {
  validateSettings(settings);
  models.checkSettings?.(settings);
  const schedule = createSchedule({ steps: settings.diffusionSteps, respacing: settings.sampling });
  const streams = seededStreams(settings.seed);
  const targets = await makeTargets(models, settings, streams.cpuRng);
  const subBatch = subBatchOf(settings.cutn, models.maxCutoutsPerRun);
  const guidanceSpec: GraphSpec = { kind: 'guidance', cutn: subBatch, targets: targets.count, lossFn: settings.lossFn, augment: !settings.skipAugs };
  throwIfAborted(signal, 'generation');
  const unet = models.oneUnetCopy ? {} : { unet: await models.session({ kind: 'unet' }) };
  const lpips = initLossRuns(settings, models) ? { lpips: await models.session({ kind: 'lpips' }) } : {};
  const sessions = { ...unet, unetGuided: await models.session({ kind: 'unet_guided' }), guidance: await models.session(guidanceSpec), ...lpips };
  const size = models.imageSize;
  return {
    settings, schedule, shape: [1, 3, size, size], targets, sessions, guidanceSpec, subBatch, ...streams,
    ...(settings.initImage && { initImage: initImageTensor(settings.initImage, size) }),
  };
}

/** The init term's image, scale and session (spec §7 step 7): prepareJob opened the session only if the job runs it. */
function initTerm(job: Job): CondFnSetup['init'] {
  const { initImage, sessions, shape, settings } = job;
  const lpips = sessions.lpips;
  if (!initImage || !lpips) return undefined;
  return { image: hostTensor('float32', shape, initImage), scale: settings.initScale, run: (feeds) => lpips.run(feeds) };
}

function condFnSetup(job: Job, geometry: { size: number; cutSize: number }): CondFnSetup {
  const s = job.settings;
  const init = initTerm(job);
  const scales = applyScaleMultiplier({ clipGuidanceScale: s.clipGuidanceScale, tvScale: s.tvScale, rangeScale: s.rangeScale, saturationScale: s.saturationScale, initScale: s.initScale }, s.scaleMultiplier);
  return {
    schedule: job.schedule, geometry: { height: geometry.size, width: geometry.size, cutSize: geometry.cutSize, cutn: s.cutn }, cutnBatches: s.cutnBatches, skipAugs: s.skipAugs,
    scales, targets: { embeds: job.targets.embeds, weights: job.targets.weights }, rng: job.cpuRng, clampGrad: !s.disableGradClamp, subBatch: job.subBatch,
    ...(init && { init }),
  };
}

export interface SampleImageOptions {
  /** x_T (the e2e replay's recorded noise); drawn from the job's noise stream when absent. */
  readonly noise?: Float32Array;
  readonly signal?: CancelSignal;
  readonly previewEvery?: number;
  readonly onStep?: (event: StepEvent) => void | Promise<void>;
  readonly onCondFn?: (result: CondFnResult, index: number) => void;
}

/** One image through the guided sampler (spec §2, §7, §8.7). */
export function sampleImage(job: Job, cutSize: number, o: SampleImageOptions = {}): Promise<SampleResult> {
  const s = job.settings;
  const { model, condFn } = guidedModel(job.sessions, condFnSetup(job, { size: job.shape[2], cutSize }), job.shape, o.onCondFn, o.signal);
  return sampleLoop({
    schedule: job.schedule, method: samplingMethod(s.sampling), shape: job.shape, model, condFn, rng: job.noiseRng,
    eta: s.eta, clipDenoised: s.clipDenoised, skipTimesteps: s.skipTimesteps,
    ...(o.noise && { noise: o.noise }), ...(job.initImage && { initImage: job.initImage }), ...(o.signal && { signal: o.signal }),
    ...(o.previewEvery !== undefined && { previewEvery: o.previewEvery }), ...(o.onStep && { onStep: o.onStep }),
  });
}
