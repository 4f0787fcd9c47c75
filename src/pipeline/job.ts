import { SettingsError, throwIfAborted, type CancelSignal } from '../errors';
import type { CondFnResult, CondFnSetup, Guide } from '../models/guidance/index';
import {
  applyScaleMultiplier, createRng, createSchedule, hashString, sampleLoop, samplingMethod,
  type Rng, type SampleResult, type SampleShape, type Schedule, type StepEvent,
} from '../sampling/index';
import { guidedModel, type GuidedSessions } from './guided-model';
import type { LoadedModels } from './models';
import { initImageTensor, makeTargets, type Targets } from './targets';
import { initLossRuns, validateSettings, type GenerationSettings } from './settings';
import { hostTensor } from '../runtime';

/** One CLIP model's share of a job: cond_fn's Guide, with its targets' count kept. */
export interface JobGuide extends Guide {
  readonly targets: Targets;
}

/** Everything a sample needs, made once per generate() call. */
export interface Job {
  readonly settings: GenerationSettings;
  readonly schedule: Schedule;
  readonly shape: SampleShape;
  readonly guides: readonly JobGuide[];
  readonly sessions: GuidedSessions;
  /** Cutouts per guidance run (every guide's subBatch). */
  readonly subBatch: number;
  /** upstream's device generator (x_T and per-step noise), spec §13; the cutouts draw from each guide's stream. */
  readonly noiseRng: Rng;
  readonly initImage?: Float32Array;
}

/** The largest divisor of cutn not above the limit. */
export function subBatchOf(cutn: number, limit: number): number {
  for (let k = Math.min(cutn, Math.max(1, Math.floor(limit))); k > 1; k--) if (cutn % k === 0) return k;
  return 1;
}

/**
 * The cutout stream of guide `guide`: the seed's CPU stream for the first, a stream of its own for
 * each other one, so adding a guide leaves the others' cutouts as they were. With the noise stream
 * (createRng(seed)), the same seed gives the same image on the same backend.
 */
export const cutoutStream = (seed: number, guide: number): Rng => createRng(hashString(guide === 0 ? `cutouts:${seed}` : `cutouts:${seed}:guide${guide}`));

/** Each guide's weight: settings.guideWeights (one per loaded CLIP model), or 1 each. */
function guideWeights(settings: GenerationSettings, guides: number): readonly number[] {
  const given = settings.guideWeights;
  if (given === undefined) return Array.from({ length: guides }, () => 1);
  if (given.length !== guides) throw new SettingsError(`${given.length} guide weight${given.length === 1 ? '' : 's'} given for ${guides} CLIP model${guides === 1 ? '' : 's'}`);
  return given;
}

/** Schedule, targets and sessions for the settings (spec §3–4); the sessions stay with `models`. */
export async function prepareJob(settings: GenerationSettings, models: LoadedModels, signal?: CancelSignal): Promise<Job> {
  validateSettings(settings);
  models.checkSettings?.(settings);
  const schedule = createSchedule({ steps: settings.diffusionSteps, respacing: settings.sampling });
  const weights = guideWeights(settings, models.cutSizes.length);
  const subBatch = subBatchOf(settings.cutn, models.maxCutoutsPerRun);
  // Every guide's targets first: the text encoders are released before the sampling graphs open.
  const rngs = models.cutSizes.map((_, guide) => cutoutStream(settings.seed, guide));
  const targets: Targets[] = [];
  for (const [guide, rng] of rngs.entries()) {
    targets.push(await makeTargets(models, guide, settings, rng));
    throwIfAborted(signal, 'generation');
  }
  const unet = models.oneUnetCopy ? {} : { unet: await models.session({ kind: 'unet' }) };
  const lpips = initLossRuns(settings, models) ? { lpips: await models.session({ kind: 'lpips' }) } : {};
  const sessions = { ...unet, unetGuided: await models.session({ kind: 'unet_guided' }), ...lpips };
  const guides: JobGuide[] = [];
  for (const [guide, cutSize] of models.cutSizes.entries()) {
    const t = targets[guide]!;
    const session = await models.session({ kind: 'guidance', guide, cutn: subBatch, targets: t.count, lossFn: settings.lossFn, augment: !settings.skipAugs });
    guides.push({ run: (feeds) => session.run(feeds), cutSize, targets: t, rng: rngs[guide]!, subBatch, weight: weights[guide]! });
  }
  const size = models.imageSize;
  return {
    settings, schedule, shape: [1, 3, size, size], guides, sessions, subBatch, noiseRng: createRng(settings.seed),
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

function condFnSetup(job: Job): CondFnSetup {
  const s = job.settings;
  const init = initTerm(job);
  const scales = applyScaleMultiplier({ clipGuidanceScale: s.clipGuidanceScale, tvScale: s.tvScale, rangeScale: s.rangeScale, saturationScale: s.saturationScale, initScale: s.initScale }, s.scaleMultiplier);
  return {
    schedule: job.schedule, geometry: { height: job.shape[2], width: job.shape[3], cutn: s.cutn }, cutnBatches: s.cutnBatches, skipAugs: s.skipAugs,
    scales, guides: job.guides, clampGrad: !s.disableGradClamp, ...(init && { init }),
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
export function sampleImage(job: Job, o: SampleImageOptions = {}): Promise<SampleResult> {
  const s = job.settings;
  const { model, condFn } = guidedModel(job.sessions, condFnSetup(job), job.shape, o.onCondFn, o.signal);
  return sampleLoop({
    schedule: job.schedule, method: samplingMethod(s.sampling), shape: job.shape, model, condFn, rng: job.noiseRng,
    eta: s.eta, clipDenoised: s.clipDenoised, skipTimesteps: s.skipTimesteps,
    ...(o.noise && { noise: o.noise }), ...(job.initImage && { initImage: job.initImage }), ...(o.signal && { signal: o.signal }),
    ...(o.previewEvery !== undefined && { previewEvery: o.previewEvery }), ...(o.onStep && { onStep: o.onStep }),
  });
}
