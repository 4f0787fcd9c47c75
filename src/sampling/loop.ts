import { SettingsError, ShapeError, throwIfAborted, type CancelSignal } from '../errors';
import { coefficientsAt } from './coefficients';
import { ddimStep } from './ddim';
import { meanVariance, pSampleStep } from './ddpm';
import { f, map1 } from './elementwise';
import { numel, predXstartOf, qSample, splitModelOutput, type SampleShape } from './p-mean-variance';
import type { Rng } from './rng';
import { modelTimestep, type Schedule } from './schedule';

export type SamplingMethod = 'ddim' | 'ddpm';

/** clip-diffusion-art: `--sampling ddimN` runs DDIM, a plain count runs DDPM (spec §8.5–8.6). */
export const samplingMethod = (respacing: string): SamplingMethod => (respacing.trim().startsWith('ddim') ? 'ddim' : 'ddpm');

/** Where the loop is: `step` counts from 0, `index` is the respaced step index j (N − skip − 1 … 0). */
export interface StepContext {
  readonly step: number;
  readonly index: number;
}

/**
 * The network: x [B,C,H,W] and the model timestep t (spec §8.3) → [B,2C,H,W] (ε̂ and the variance
 * values; DDIM also accepts [B,C,H,W]). The UNet graph plugs in here.
 */
export type DiffusionModel = (x: Float32Array, t: number, context: StepContext) => Promise<Float32Array>;

/**
 * Guidance: x and the model timestep t (what SpacedDiffusion passes; clip-diffusion-art's cond_fn
 * ignores it and uses the step index, `context.index`, as `cur_t`, spec §7.5) → the gradient g
 * [B,C,H,W], applied by condition_score (DDIM) or condition_mean (DDPM). It is always called with
 * the x the model was just called with, so an implementation that runs the UNet forward and its
 * gradient in one pass (spec §7.4) can do that work in the model call and return it here.
 */
export type CondFn = (x: Float32Array, t: number, context: StepContext) => Promise<Float32Array>;

export interface StepEvent extends StepContext {
  readonly steps: number;
  /** The model timestep of this step. */
  readonly timestep: number;
  /** x after the step (the loop's own array: copy it to keep it). */
  readonly sample: Float32Array;
  /** The step's unguided x̂0 (what the fork yields and saves, spec §9), every `previewEvery` steps and at the last. */
  readonly preview?: Float32Array;
}

export interface SampleOptions {
  readonly schedule: Schedule;
  readonly method: SamplingMethod;
  readonly shape: SampleShape;
  readonly model: DiffusionModel;
  /** The stream of the initial noise and of every step's noise (upstream's device generator, spec §13). */
  readonly rng: Rng;
  /** The initial noise x_T (upstream's `noise=`); drawn from `rng` first when absent. */
  readonly noise?: Float32Array;
  /** DDIM only (spec §8.5); default 0. */
  readonly eta?: number;
  readonly clipDenoised?: boolean;
  readonly skipTimesteps?: number;
  /** An image in [−1, 1] to start from; with skipTimesteps > 0 and none, a zero image (spec §8.7). */
  readonly initImage?: Float32Array;
  readonly condFn?: CondFn;
  readonly signal?: CancelSignal;
  readonly onStep?: (event: StepEvent) => void | Promise<void>;
  readonly previewEvery?: number;
}

export interface SampleResult {
  /** x after the last step. */
  readonly sample: Float32Array;
  /** The last step's unguided x̂0: the fork's final image before `finalImage` (spec §9). */
  readonly predXstart: Float32Array;
}

/** The fork's output image: x̂0 clamped to [−1, 1], then `(x + 1)/2` into [0, 1] (spec §9). */
export const finalImage = (predXstart: Float32Array): Float32Array => map1(predXstart, (p) => f(f(Math.min(1, Math.max(-1, p)) + 1) / 2));

function drawNoise(rng: Rng, length: number): Float32Array {
  return rng.fillNormal(new Float32Array(length));
}

/** Respaced indices the loop visits: N − skip − 1 down to 0. */
function loopIndices(schedule: Schedule, skip: number): number[] {
  if (!Number.isInteger(skip) || skip < 0 || skip >= schedule.numTimesteps) {
    throw new SettingsError(`skip_timesteps must be an integer in [0, ${schedule.numTimesteps - 1}] for ${schedule.numTimesteps} steps, got ${skip}`);
  }
  return Array.from({ length: schedule.numTimesteps - skip }, (_, k) => schedule.numTimesteps - skip - 1 - k);
}

function checkLength(what: string, array: Float32Array | undefined, shape: SampleShape): void {
  if (array && array.length !== numel(shape)) throw new ShapeError(`${what} has ${array.length} elements; the sample shape [${shape.join(', ')}] has ${numel(shape)}`);
}

/**
 * The start of `*_sample_loop_progressive` (spec §8.7): x_T, then, when there is an init image
 * (a zero image if skipping without one), `q_sample(init, i0, noise = x_T)` — no extra draw.
 */
function startImage(o: SampleOptions, firstIndex: number): Float32Array {
  checkLength('noise', o.noise, o.shape);
  checkLength('init image', o.initImage, o.shape);
  const xT = o.noise ?? drawNoise(o.rng, numel(o.shape));
  const init = o.initImage ?? ((o.skipTimesteps ?? 0) > 0 ? new Float32Array(xT.length) : undefined);
  return init ? qSample(coefficientsAt(o.schedule, firstIndex), init, xT) : xT;
}

/** One step in upstream's order: model, then DDIM cond_fn → noise, DDPM noise → cond_fn (spec §8.5–8.6). */
async function step(o: SampleOptions, x: Float32Array, context: StepContext): Promise<SampleResult> {
  const c = coefficientsAt(o.schedule, context.index);
  const t = modelTimestep(o.schedule, context.index);
  const { eps, varValues } = splitModelOutput(await o.model(x, t, context), o.shape);
  throwIfAborted(o.signal, 'sampling');
  const predXstart = predXstartOf(c, x, eps, o.clipDenoised ?? false);
  const cond = () => (o.condFn ? o.condFn(x, t, context) : Promise.resolve(undefined));
  if (o.method === 'ddim') {
    const condGrad = await cond();
    return { sample: ddimStep({ c, x, predXstart, eta: o.eta ?? 0, noise: drawNoise(o.rng, x.length), ...(condGrad && { condGrad }) }), predXstart };
  }
  if (!varValues) throw new ShapeError(`DDPM sampling needs the learned variance: the model must output ${2 * o.shape[1]} channels, it gave ${o.shape[1]}`);
  const mv = meanVariance(c, x, predXstart, varValues);
  const noise = drawNoise(o.rng, x.length);
  const condGrad = await cond();
  return { sample: pSampleStep({ c, mv, noise, ...(condGrad && { condGrad }) }), predXstart };
}

/**
 * guided-diffusion's `ddim_sample_loop_progressive` / `p_sample_loop_progressive` as
 * clip-diffusion-art drives them (spec §8.7): skip_timesteps with the q_sample start, one step per
 * respaced index, progress after each step and cancellation checked between and inside steps.
 */
export async function sampleLoop(o: SampleOptions): Promise<SampleResult> {
  const indices = loopIndices(o.schedule, o.skipTimesteps ?? 0);
  const previewEvery = o.previewEvery ?? 1;
  if (!Number.isInteger(previewEvery) || previewEvery < 1) throw new SettingsError(`previewEvery must be a positive integer, got ${previewEvery}`);
  let x = startImage(o, indices[0]!);
  let predXstart: Float32Array = new Float32Array(x.length);
  for (const [k, index] of indices.entries()) {
    throwIfAborted(o.signal, 'sampling');
    const out = await step(o, x, { step: k, index });
    x = out.sample;
    predXstart = out.predXstart;
    const isPreview = k % previewEvery === 0 || k === indices.length - 1;
    const event = { step: k, steps: indices.length, index, timestep: modelTimestep(o.schedule, index), sample: x };
    await o.onStep?.(isPreview ? { ...event, preview: predXstart } : event);
  }
  return { sample: x, predXstart };
}
