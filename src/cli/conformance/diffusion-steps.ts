import { isAbortError } from '../../errors';
import {
  coefficientsAt, ddimStep, meanVariance, modelOutputFor, modelTimestep, predXstartOf, pSampleStep, qSample, replayRng, sampleLoop, varValuesFor,
  type DiffusionModel, type SampleShape, type Schedule,
} from '../../sampling/index';
import type { DiffusionRun } from './diffusion-runs';
import type { ReferenceTensors } from './reference-tensors';
import { exact, relResult, stepError } from './results';
import type { CheckResult } from './types';

/** Trajectory tolerance of the fixture README: 1e-4 × max(1, max |reference|) per step. */
export const STEP_TOLERANCE = 1e-4;

/** What every diffusion check needs: the group's references and its schedules. */
export interface DiffusionCase {
  readonly group: string;
  readonly ref: ReferenceTensors;
  readonly shape: SampleShape;
  schedule(respacing: string): Schedule;
}

/** The analytic cond_fn of the diffusion fixture: −(x − target)·(0.05 + 1e-4·t), in float32. */
export function analyticGrad(x: Float32Array, target: Float32Array, t: number): Float32Array {
  const scale = Math.fround(0.05 + Math.fround(Math.fround(1e-4) * t));
  return x.map((xi, i) => -Math.fround(Math.fround(xi - target[i]!) * scale));
}

/**
 * η ≠ 0, first step: the model sees x_T at the same timestep as in the η = 0 run of the same
 * respacing, whose recorded x̂0 therefore is this step's too.
 */
export function etaFirstStep(c: DiffusionCase, run: DiffusionRun, eta0: DiffusionRun): CheckResult {
  const s = c.schedule(run.respacing);
  const coefficients = coefficientsAt(s, s.numTimesteps - 1);
  const predXstart = c.ref.row(`${eta0.name}.pred_xstart`, 0);
  const sample = ddimStep({ c: coefficients, x: c.ref.f32('x_T'), predXstart, eta: run.eta, noise: c.ref.row(`${run.name}.noise`, 0) });
  return relResult(c.group, `${run.name}: step 0 with the recorded noise (x̂0 of ${eta0.name})`, stepError(sample, c.ref.row(`${run.name}.x`, 0)), STEP_TOLERANCE);
}

/** Skipping K steps: the loop starts from q_sample(init_image, N − K − 1, noise = x_T) and calls the model there. */
export async function skipStart(c: DiffusionCase, run: DiffusionRun): Promise<CheckResult[]> {
  const s = c.schedule(run.respacing);
  const first = s.numTimesteps - run.skip - 1;
  const xStart = qSample(coefficientsAt(s, first), c.ref.f32('init_image'), c.ref.f32('x_T'));
  let seen: { x: Float32Array; t: number } | undefined;
  const signal = { aborted: false };
  const model: DiffusionModel = (x, t) => {
    seen = { x: x.slice(), t };
    signal.aborted = true;
    return Promise.resolve(new Float32Array(x.length));
  };
  const loop = sampleLoop({ schedule: s, method: run.method, shape: c.shape, model, rng: replayRng([]), noise: c.ref.f32('x_T'), initImage: c.ref.f32('init_image'), skipTimesteps: run.skip, signal });
  await loop.catch((err: unknown) => { if (!isAbortError(err)) throw err; });
  const recorded = c.ref.f32(`${run.name}.x_start`);
  const tOk = seen?.t === c.ref.f32(`${run.name}.model_t`)[0] ? 0 : 1;
  return [
    relResult(c.group, `${run.name}: x_start = q_sample(init, ${first}, x_T)`, stepError(xStart, recorded), STEP_TOLERANCE),
    relResult(c.group, `${run.name}: the loop starts there`, seen ? stepError(seen.x, recorded) + tOk : Infinity, STEP_TOLERANCE),
  ];
}

/** `settings.p_sample_detail` {k, i}: p_mean_variance's outputs of that step and its sample, from the recorded x̂0 and log σ². */
export function pSampleDetail(c: DiffusionCase, run: DiffusionRun, detail: string, at: { k: number; i: number }): CheckResult[] {
  const { k, i } = at;
  const indexAtK = c.ref.ints(`${run.name}.t_index`)[k];
  const coefficients = coefficientsAt(c.schedule(run.respacing), i);
  const x = c.ref.f32(`${detail}.x`);
  const v = varValuesFor(coefficients, c.ref.f32(`${detail}.log_variance`));
  const eps = modelOutputFor(coefficients, x, c.ref.f32(`${detail}.pred_xstart`));
  const mv = meanVariance(coefficients, x, predXstartOf(coefficients, x, eps, false), v);
  const sample = pSampleStep({ c: coefficients, mv, noise: c.ref.row(`${run.name}.noise`, k) });
  const input = k === 0 ? c.ref.f32('x_T') : c.ref.row(`${run.name}.x`, k - 1);
  return [
    exact(c.group, `${detail}: step ${k} has index ${i}`, indexAtK === i ? 0 : 1, `t_index[${k}] = ${indexAtK}`),
    relResult(c.group, `${detail}: input = x before step ${k}`, stepError(x, input), 0),
    relResult(c.group, `${detail}: mean`, stepError(mv.mean, c.ref.f32(`${detail}.mean`)), STEP_TOLERANCE),
    relResult(c.group, `${detail}: variance = exp(log_variance)`, stepError(mv.variance, c.ref.f32(`${detail}.variance`)), STEP_TOLERANCE),
    relResult(c.group, `${run.name}: step ${k} sample with the recorded noise`, stepError(sample, c.ref.row(`${run.name}.x`, k)), STEP_TOLERANCE),
  ];
}

/**
 * A guided DDPM run, step 0: the model sees x_T at the first timestep in both DDPM runs of the
 * respacing, so the learned σ recovered from the unguided run's step 0 ((x − μ)/z where |z| ≥ 0.1)
 * gives condition_mean's input; the guided sample μ + σ²·g + σ·z' must match there.
 */
export function pCondFirstStep(c: DiffusionCase, guided: DiffusionRun, plain: DiffusionRun): CheckResult[] {
  const s = c.schedule(guided.respacing);
  const coefficients = coefficientsAt(s, s.numTimesteps - 1);
  const xT = c.ref.f32('x_T');
  const predXstart = c.ref.row(`${guided.name}.pred_xstart`, 0);
  const z = c.ref.row(`${plain.name}.noise`, 0);
  const keep = Array.from(z.keys()).filter((i) => Math.abs(z[i]!) >= 0.1);
  const pick = (a: Float32Array) => Float32Array.from(keep, (i) => a[i]!);
  const mean = meanVariance(coefficients, xT, predXstart, new Float32Array(xT.length)).mean;
  const std = pick(c.ref.row(`${plain.name}.x`, 0)).map((xi, n) => (xi - mean[keep[n]!]!) / z[keep[n]!]!);
  const mv = meanVariance(coefficients, pick(xT), pick(predXstart), varValuesFor(coefficients, std.map((sd) => 2 * Math.log(sd))));
  const g = c.ref.row(`${guided.name}.cond_grad`, 0);
  const t = c.ref.f32(`${guided.name}.cond_t`)[0]!;
  const analytic = analyticGrad(xT, c.ref.f32('cond_target'), t);
  const sample = pSampleStep({ c: coefficients, mv, condGrad: pick(g), noise: pick(c.ref.row(`${guided.name}.noise`, 0)) });
  return [
    relResult(c.group, `${guided.name}: cond_fn(x_T, ${t}) of step 0`, stepError(analytic, g) + (t === modelTimestep(s, coefficients.index) ? 0 : 1), STEP_TOLERANCE),
    relResult(c.group, `${guided.name}: step 0 via condition_mean (σ from ${plain.name}, ${keep.length} elements)`, stepError(sample, pick(c.ref.row(`${guided.name}.x`, 0))), STEP_TOLERANCE),
  ];
}
