import * as ort from 'onnxruntime-web';
import { openCheckpoint, readTensor } from '../../checkpoint/index';
import { isAbortError, SettingsError } from '../../errors';
import { optimize, serialize } from '../../graph';
import { buildUnetGraph, loadUnetWeights, parseModelConfigYaml, resolveConfig } from '../../models/unet/index';
import { createRuntime } from '../../runtime';
import {
  coefficientsAt, createSchedule, ddimStep, meanVariance, modelOutputFor, modelTimestep, numel, predXstartOf, pSampleStep, qSample, replayRng,
  sampleLoop, sessionModel, spaceTimesteps, varValuesFor, type CondFn, type DiffusionModel, type Schedule, type SampleShape,
} from '../../sampling/index';
import { compareArrays, exact, guard, guardMany } from './results';
import type { CheckResult, CheckSuite, FixtureDir, GroupContext } from './types';

type RefArray = Float32Array | Float64Array | BigInt64Array;

/** Reference tensors of a `<group>_ref.safetensors`, read whole (the float and int64 ones). */
export interface ReferenceTensors {
  f32(name: string): Float32Array;
  f64(name: string): Float64Array;
  ints(name: string): number[];
  /** Row k of a [rows, ...] float32 tensor. */
  row(name: string, k: number): Float32Array;
  /** Number of rows (first dimension). */
  rows(name: string): number;
  has(name: string): boolean;
}

export async function loadReferenceTensors(dir: FixtureDir, path: string): Promise<ReferenceTensors> {
  const tensors = new Map<string, { data: RefArray; shape: readonly number[] }>();
  await dir.withSource(path, async (source) => {
    for (const [name, t] of (await openCheckpoint(source)).tensors) {
      if (t.dtype === 'F32' || t.dtype === 'F64' || t.dtype === 'I64') tensors.set(name, { data: (await readTensor(t)).slice() as RefArray, shape: t.shape });
    }
  });
  const get = <T extends RefArray>(name: string, ctor: new (n: number) => T): { data: T; shape: readonly number[] } => {
    const t = tensors.get(name);
    if (!t || !(t.data instanceof ctor)) throw new Error(`reference tensor ${name} is missing or not ${ctor.name}`);
    return t as { data: T; shape: readonly number[] };
  };
  return {
    f32: (name) => get(name, Float32Array).data,
    f64: (name) => get(name, Float64Array).data,
    ints: (name) => Array.from(get(name, BigInt64Array).data, Number),
    row(name, k) {
      const { data, shape } = get(name, Float32Array);
      const per = data.length / shape[0]!;
      return data.subarray(k * per, (k + 1) * per);
    },
    rows: (name) => get(name, Float32Array).shape[0]!,
    has: (name) => tensors.has(name),
  };
}

/** max |a − b| / max(1, max |b|): the per-step measure of the fixture README for trajectories. */
export function stepError(actual: ArrayLike<number>, reference: ArrayLike<number>): number {
  const { maxAbs } = compareArrays(actual, reference);
  let scale = 1;
  for (let i = 0; i < reference.length; i++) scale = Math.max(scale, Math.abs(reference[i]!));
  return maxAbs / scale;
}

/** max over elements of |a − b| / |b| (schedules: every element to ~1e-12 of its own size). */
function elementRel(actual: ArrayLike<number>, reference: ArrayLike<number>): number {
  if (actual.length !== reference.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = Math.abs(actual[i]! - reference[i]!) / (Math.abs(reference[i]!) || 1);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return worst;
}

/** Trajectory tolerance of issue 8 / the fixture README: 1e-4 × max(1, max |reference|) per step. */
export const STEP_TOLERANCE = 1e-4;
const SCHEDULE_TOLERANCE = 1e-12;

const relResult = (group: string, name: string, error: number, tolerance: number, detail?: string): CheckResult =>
  ({ group, name, maxAbs: error, maxRel: error, tolerance, on: 'rel', pass: error <= tolerance, ...(detail === undefined ? {} : { detail }) });

const SCHEDULE_ARRAYS: readonly (readonly [string, keyof Schedule])[] = [
  ['betas', 'betas'], ['alphas_cumprod', 'alphasCumprod'], ['alphas_cumprod_prev', 'alphasCumprodPrev'],
  ['sqrt_alphas_cumprod', 'sqrtAlphasCumprod'], ['sqrt_one_minus_alphas_cumprod', 'sqrtOneMinusAlphasCumprod'],
  ['sqrt_recip_alphas_cumprod', 'sqrtRecipAlphasCumprod'], ['sqrt_recipm1_alphas_cumprod', 'sqrtRecipm1AlphasCumprod'],
  ['posterior_variance', 'posteriorVariance'], ['posterior_log_variance_clipped', 'posteriorLogVarianceClipped'],
  ['posterior_mean_coef1', 'posteriorMeanCoef1'], ['posterior_mean_coef2', 'posteriorMeanCoef2'],
];

/** Tensor prefix of a respacing: `sched.<respacing>`, the empty respacing being `base<T>`. */
const schedPrefix = (respacing: string, steps: number): string => `sched.${respacing === '' ? `base${steps}` : respacing}`;

function scheduleChecks(group: string, ref: ReferenceTensors, steps: number, respacing: string): CheckResult[] {
  const prefix = schedPrefix(respacing, steps);
  const s = createSchedule({ steps, respacing });
  const map = ref.ints(`${prefix}.timestep_map`);
  const mapDiff = map.length === s.timestepMap.length ? map.filter((t, i) => t !== s.timestepMap[i]).length : Infinity;
  const errors = SCHEDULE_ARRAYS.map(([name, key]) => [name, elementRel(s[key] as Float64Array, ref.f64(`${prefix}.${name}`))] as const);
  const worst = errors.reduce((a, b) => (b[1] > a[1] ? b : a));
  return [
    exact(group, `${prefix}.timestep_map`, mapDiff, `${s.numTimesteps} steps`),
    relResult(group, `${prefix}: 11 float64 arrays (per element)`, worst[1], SCHEDULE_TOLERANCE, `worst: ${worst[0]}`),
  ];
}

/** ddim150 with T = 1000 has no stride: upstream raises ValueError, we a SettingsError. */
function ddim150Check(group: string, steps: number): CheckResult {
  try {
    spaceTimesteps(steps, 'ddim150');
    return exact(group, `ddim150 with ${steps} steps is refused`, 1, 'no error');
  } catch (err) {
    return exact(group, `ddim150 with ${steps} steps is refused`, err instanceof SettingsError ? 0 : 1, (err as Error).message);
  }
}

interface Run {
  readonly name: string;
  readonly respacing: string;
  readonly steps: number;
}

/** t_index is N − skip − 1 … 0 and model_t is what `modelTimestep` gives for it. */
function timestepCheck(group: string, ref: ReferenceTensors, run: Run, skip: number): CheckResult {
  const s = createSchedule({ steps: run.steps, respacing: run.respacing });
  const indices = ref.ints(`${run.name}.t_index`);
  const modelT = ref.f32(`${run.name}.model_t`);
  const wrong = indices.filter((j, k) => j !== s.numTimesteps - skip - 1 - k || modelTimestep(s, j) !== modelT[k]).length;
  return exact(group, `${run.name}: step indices and model timesteps`, wrong + Math.abs(indices.length - (s.numTimesteps - skip)), `${indices.length} steps`);
}

/**
 * A model that returns, at step k, the output reproducing the recorded x̂0[k] at the recorded
 * input (x_T or x[k−1]), so the loop's own arithmetic is what is compared.
 */
function replayModel(s: Schedule, ref: ReferenceTensors, run: string, start: Float32Array): DiffusionModel {
  return (_x, _t, { step, index }) => Promise.resolve(
    modelOutputFor(coefficientsAt(s, index), step === 0 ? start : ref.row(`${run}.x`, step - 1), ref.row(`${run}.pred_xstart`, step)));
}

/** The analytic cond_fn of the diffusion fixture: −(x − target)·(0.05 + 1e-4·t), in float32. */
function analyticGrad(x: Float32Array, target: Float32Array, t: number): Float32Array {
  const scale = Math.fround(0.05 + Math.fround(Math.fround(1e-4) * t));
  return x.map((xi, i) => -Math.fround(Math.fround(xi - target[i]!) * scale));
}

export const analyticCondFn = (target: Float32Array): CondFn => (x, t) => Promise.resolve(analyticGrad(x, target, t));

interface TrajectoryErrors {
  x: number;
  predXstart: number;
  condGrad: number;
}

/** Runs the loop over a recorded DDIM run and measures every step's x, x̂0 and (when guided) cond_fn output. */
async function replayDdim(ref: ReferenceTensors, run: Run, shape: SampleShape, guided: boolean): Promise<TrajectoryErrors> {
  const s = createSchedule({ steps: run.steps, respacing: run.respacing });
  const xT = ref.f32('x_T');
  const errors = { x: 0, predXstart: 0, condGrad: 0 };
  const cond = analyticCondFn(ref.f32('cond_target'));
  const condFn: CondFn = async (x, t, context) => {
    const g = await cond(x, t, context);
    errors.condGrad = Math.max(errors.condGrad, stepError(g, ref.row(`${run.name}.cond_grad`, context.step)));
    return g;
  };
  await sampleLoop({
    schedule: s, method: 'ddim', shape, model: replayModel(s, ref, run.name, xT), noise: xT,
    rng: replayRng(Array.from({ length: s.numTimesteps }, () => new Float32Array(xT.length))),
    ...(guided && { condFn }),
    onStep: ({ step, sample, preview }) => {
      errors.x = Math.max(errors.x, stepError(sample, ref.row(`${run.name}.x`, step)));
      errors.predXstart = Math.max(errors.predXstart, stepError(preview!, ref.row(`${run.name}.pred_xstart`, step)));
    },
  });
  return errors;
}

async function trajectoryChecks(group: string, ref: ReferenceTensors, run: Run, shape: SampleShape, guided: boolean): Promise<CheckResult[]> {
  const e = await replayDdim(ref, run, shape, guided);
  const results = [
    relResult(group, `${run.name}: x per step (replayed model output)`, e.x, STEP_TOLERANCE),
    relResult(group, `${run.name}: pred_xstart per step`, e.predXstart, STEP_TOLERANCE),
  ];
  if (guided) results.push(relResult(group, `${run.name}: cond_fn output per step`, e.condGrad, STEP_TOLERANCE));
  return results;
}

/** η = 0.5, first step: the model sees x_T at t = 980 as in the η = 0 run, so its x̂0 is known. */
function etaFirstStep(group: string, ref: ReferenceTensors, steps: number, eta: number): CheckResult {
  const s = createSchedule({ steps, respacing: 'ddim50' });
  const c = coefficientsAt(s, s.numTimesteps - 1);
  const sample = ddimStep({ c, x: ref.f32('x_T'), predXstart: ref.row('ddim_eta0.ddim50.pred_xstart', 0), eta, noise: ref.row('ddim_eta0.5.ddim50.noise', 0) });
  return relResult(group, 'ddim_eta0.5.ddim50: step 0 with the recorded noise', stepError(sample, ref.row('ddim_eta0.5.ddim50.x', 0)), STEP_TOLERANCE);
}

/** skip 10: the loop starts from q_sample(init_image, 39, noise = x_T) and calls the model there at t = 780. */
async function skipStart(group: string, ref: ReferenceTensors, steps: number, shape: SampleShape, skip: number): Promise<CheckResult[]> {
  const s = createSchedule({ steps, respacing: 'ddim50' });
  const first = s.numTimesteps - skip - 1;
  const xStart = qSample(coefficientsAt(s, first), ref.f32('init_image'), ref.f32('x_T'));
  let seen: { x: Float32Array; t: number } | undefined;
  const signal = { aborted: false };
  const model: DiffusionModel = (x, t) => {
    seen = { x: x.slice(), t };
    signal.aborted = true;
    return Promise.resolve(new Float32Array(x.length));
  };
  const run = sampleLoop({ schedule: s, method: 'ddim', shape, model, rng: replayRng([]), noise: ref.f32('x_T'), initImage: ref.f32('init_image'), skipTimesteps: skip, signal });
  await run.catch((err: unknown) => { if (!isAbortError(err)) throw err; });
  const tOk = seen?.t === ref.f32('ddim_skip10.ddim50.model_t')[0] ? 0 : 1;
  return [
    relResult(group, 'ddim_skip10.ddim50: x_start = q_sample(init, 39, x_T)', stepError(xStart, ref.f32('ddim_skip10.ddim50.x_start')), STEP_TOLERANCE),
    relResult(group, 'ddim_skip10.ddim50: the loop starts there', seen ? stepError(seen.x, ref.f32('ddim_skip10.ddim50.x_start')) + tOk : Infinity, STEP_TOLERANCE),
  ];
}

/** p_sample.50 step k = 10 (i = 39): p_mean_variance's outputs and the sample, from the recorded x̂0 and log σ². */
function pSampleDetail(group: string, ref: ReferenceTensors, steps: number, k: number, index: number): CheckResult[] {
  const s = createSchedule({ steps, respacing: '50' });
  const c = coefficientsAt(s, index);
  const x = ref.f32('p_sample.50.detail.x');
  const v = varValuesFor(c, ref.f32('p_sample.50.detail.log_variance'));
  const eps = modelOutputFor(c, x, ref.f32('p_sample.50.detail.pred_xstart'));
  const mv = meanVariance(c, x, predXstartOf(c, x, eps, false), v);
  const sample = pSampleStep({ c, mv, noise: ref.row('p_sample.50.noise', k) });
  return [
    relResult(group, `p_sample.50.detail: input = x[${k - 1}]`, stepError(x, ref.row('p_sample.50.x', k - 1)), 0),
    relResult(group, 'p_sample.50.detail: mean', stepError(mv.mean, ref.f32('p_sample.50.detail.mean')), STEP_TOLERANCE),
    relResult(group, 'p_sample.50.detail: variance = exp(log_variance)', stepError(mv.variance, ref.f32('p_sample.50.detail.variance')), STEP_TOLERANCE),
    relResult(group, `p_sample.50: step ${k} sample with the recorded noise`, stepError(sample, ref.row('p_sample.50.x', k)), STEP_TOLERANCE),
  ];
}

/**
 * p_cond.50 step 0: the model sees x_T at t = 999 in both DDPM runs, so the learned σ recovered
 * from p_sample's step 0 ((x − μ)/z where |z| ≥ 0.1) gives condition_mean's input; the guided
 * sample μ + σ²·g + σ·z' must match p_cond's step 0 there.
 */
function pCondFirstStep(group: string, ref: ReferenceTensors, steps: number): CheckResult[] {
  const s = createSchedule({ steps, respacing: '50' });
  const c = coefficientsAt(s, s.numTimesteps - 1);
  const xT = ref.f32('x_T');
  const predXstart = ref.row('p_cond.50.pred_xstart', 0);
  const z = ref.row('p_sample.50.noise', 0);
  const keep = Array.from(z.keys()).filter((i) => Math.abs(z[i]!) >= 0.1);
  const pick = (a: Float32Array) => Float32Array.from(keep, (i) => a[i]!);
  const mean = meanVariance(c, xT, predXstart, new Float32Array(xT.length)).mean;
  const std = pick(ref.row('p_sample.50.x', 0)).map((xi, n) => (xi - mean[keep[n]!]!) / z[keep[n]!]!);
  const mv = meanVariance(c, pick(xT), pick(predXstart), varValuesFor(c, std.map((sd) => 2 * Math.log(sd))));
  const g = ref.row('p_cond.50.cond_grad', 0);
  const t = ref.f32('p_cond.50.cond_t')[0]!;
  const analytic = analyticGrad(xT, ref.f32('cond_target'), t);
  const sample = pSampleStep({ c, mv, condGrad: pick(g), noise: pick(ref.row('p_cond.50.noise', 0)) });
  return [
    relResult(group, 'p_cond.50: cond_fn(x_T, 999) of step 0', stepError(analytic, g) + (t === modelTimestep(s, c.index) ? 0 : 1), STEP_TOLERANCE),
    relResult(group, `p_cond.50: step 0 via condition_mean (${keep.length} elements)`, stepError(sample, pick(ref.row('p_cond.50.x', 0))), STEP_TOLERANCE),
  ];
}

/** The UNet checkpoint the manifest's `settings.unet` names ("A (see unet group; same checkpoint unet/unet_A.pt)"), with its yaml. */
function unetFiles(settingsUnet: string): { checkpoint: string; yaml: string } {
  const checkpoint = /\S+\.pt\b/.exec(settingsUnet)?.[0];
  if (!checkpoint) throw new Error(`settings.unet names no .pt checkpoint: '${settingsUnet}'`);
  return { checkpoint, yaml: checkpoint.replace(/\.pt$/, '.yaml') };
}

/** The named UNet as a model on the wasm EP (the files are relative to the fixture root, a level above this group). */
async function fixtureUnet(ctx: GroupContext, settingsUnet: string, shape: SampleShape): Promise<{ model: DiffusionModel; dispose: () => Promise<void> }> {
  const files = unetFiles(settingsUnet);
  const config = resolveConfig(parseModelConfigYaml(await ctx.dir.readText(ctx.path(`../${files.yaml}`))));
  const weights = await ctx.dir.withSource(ctx.path(`../${files.checkpoint}`), async (source) => loadUnetWeights(await openCheckpoint(source), config, files.checkpoint));
  const graph = buildUnetGraph(config, weights, { batch: shape[0], height: shape[2], width: shape[3] });
  const session = await createRuntime(ort, { threads: 1 }).createSession(serialize(optimize(graph)));
  return { model: sessionModel(session, shape), dispose: () => session.dispose() };
}

interface UnetRun {
  readonly name: string;
  readonly method: 'ddim' | 'ddpm';
  readonly eta?: number;
  readonly skip?: number;
  readonly guided?: boolean;
}

/** A whole recorded run with the real UNet: x per step (and x̂0 where recorded) against the reference. */
async function unetTrajectory(group: string, ref: ReferenceTensors, steps: number, model: DiffusionModel, shape: SampleShape, run: UnetRun, maxSteps: number): Promise<CheckResult[]> {
  const schedule = createSchedule({ steps, respacing: run.name.split('.').at(-1)! });
  const count = Math.min(ref.rows(`${run.name}.x`), maxSteps);
  const signal = { aborted: false };
  const noiseName = `${run.name}.noise`;
  const draws = Array.from({ length: count }, (_, k) => (ref.has(noiseName) ? ref.row(noiseName, k) : new Float32Array(numel(shape))));
  const hasPredXstart = ref.has(`${run.name}.pred_xstart`);
  const errors = { x: 0, predXstart: 0 };
  await sampleLoop({
    schedule, method: run.method, shape, model, rng: replayRng(draws), noise: ref.f32('x_T'), eta: run.eta ?? 0, signal,
    ...(run.skip && { skipTimesteps: run.skip, initImage: ref.f32('init_image') }),
    ...(run.guided && { condFn: analyticCondFn(ref.f32('cond_target')) }),
    onStep: ({ step, sample, preview }) => {
      errors.x = Math.max(errors.x, stepError(sample, ref.row(`${run.name}.x`, step)));
      if (hasPredXstart) errors.predXstart = Math.max(errors.predXstart, stepError(preview!, ref.row(`${run.name}.pred_xstart`, step)));
      signal.aborted = step + 1 >= count;
    },
  }).catch((err: unknown) => {
    // Stopping after `count` steps is how a shortened run ends.
    if (!isAbortError(err) || count === ref.rows(`${run.name}.x`)) throw err;
  });
  const results = [relResult(group, `${run.name}: x per step (UNet, ${count} steps)`, errors.x, STEP_TOLERANCE)];
  if (hasPredXstart) results.push(relResult(group, `${run.name}: pred_xstart per step (UNet)`, errors.predXstart, STEP_TOLERANCE));
  return results;
}

interface DiffusionSettings {
  readonly unet: string;
  readonly diffusion_steps: number;
  readonly schedules: readonly string[];
  readonly eta_run: { readonly eta: number };
  readonly skip_run: { readonly skip_timesteps: number };
  readonly p_sample_detail: { readonly k: number; readonly i: number };
}

const RUNS = ['ddim_eta0.ddim50', 'ddim_eta0.ddim25', 'ddim_eta0.5.ddim50', 'ddim_skip10.ddim50', 'ddim_cond.ddim50', 'p_sample.50', 'p_cond.50'];

/**
 * The diffusion group: every respaced schedule array, the timesteps each run gave the model, the
 * DDIM trajectories replayed through `sampleLoop` (η = 0, analytic cond_fn), the single steps the
 * recorded data determine without the UNet (η = 0.5 and DDPM steps, the skip start), then the runs
 * whose model outputs are not recorded (η = 0.5, skip + init image, DDPM, DDPM + cond_fn) sampled
 * with the UNet itself.
 */
export const diffusionModel: CheckSuite = (ctx) => diffusionChecks(ctx, Infinity);

/** The suite with the UNet-driven runs cut to their first `unetSteps` steps (the unit tests' budget). */
export async function* diffusionChecks(ctx: GroupContext, unetSteps: number): AsyncIterable<CheckResult> {
  const group = ctx.manifest.group;
  const st = ctx.manifest.settings as unknown as DiffusionSettings;
  const steps = st.diffusion_steps;
  let ref: ReferenceTensors;
  try {
    ref = await loadReferenceTensors(ctx.dir, ctx.path(ctx.manifest.reference_file ?? `${group}_ref.safetensors`));
  } catch (err) {
    yield exact(group, 'reference tensors read', Infinity, (err as Error).message);
    return;
  }
  const shape = ctx.manifest.tensors.x_T?.shape as unknown as SampleShape;
  for (const respacing of st.schedules) yield* await guardMany(group, `schedule '${respacing}'`, async () => scheduleChecks(group, ref, steps, respacing));
  yield ddim150Check(group, steps);
  for (const name of RUNS) {
    const run = { name, steps, respacing: name.split('.').at(-1)! };
    yield await guard(group, `${name}: timesteps`, () => Promise.resolve(timestepCheck(group, ref, run, name.startsWith('ddim_skip') ? st.skip_run.skip_timesteps : 0)));
  }
  for (const [name, guided] of [['ddim_eta0.ddim50', false], ['ddim_eta0.ddim25', false], ['ddim_cond.ddim50', true]] as const) {
    yield* await guardMany(group, name, () => trajectoryChecks(group, ref, { name, steps, respacing: name.split('.').at(-1)! }, shape, guided));
  }
  yield await guard(group, 'ddim_eta0.5.ddim50: step 0', () => Promise.resolve(etaFirstStep(group, ref, steps, st.eta_run.eta)));
  yield* await guardMany(group, 'ddim_skip10.ddim50: start', () => skipStart(group, ref, steps, shape, st.skip_run.skip_timesteps));
  yield* await guardMany(group, 'p_sample.50.detail', async () => pSampleDetail(group, ref, steps, st.p_sample_detail.k, st.p_sample_detail.i));
  yield* await guardMany(group, 'p_cond.50: step 0', async () => pCondFirstStep(group, ref, steps));
  yield* unetTrajectories(ctx, ref, st, shape, unetSteps);
}

/** The runs whose model outputs are not recorded, sampled with the UNet itself (190 forwards of the fixture UNet), at most `maxSteps` steps each. */
async function* unetTrajectories(ctx: GroupContext, ref: ReferenceTensors, st: DiffusionSettings, shape: SampleShape, maxSteps: number): AsyncIterable<CheckResult> {
  const group = ctx.manifest.group;
  let unet: Awaited<ReturnType<typeof fixtureUnet>>;
  try {
    unet = await fixtureUnet(ctx, st.unet, shape);
  } catch (err) {
    yield exact(group, 'UNet of settings.unet builds', Infinity, (err as Error).message);
    return;
  }
  const runs: UnetRun[] = [
    { name: 'ddim_eta0.5.ddim50', method: 'ddim', eta: st.eta_run.eta },
    { name: 'ddim_skip10.ddim50', method: 'ddim', skip: st.skip_run.skip_timesteps },
    { name: 'p_sample.50', method: 'ddpm' },
    { name: 'p_cond.50', method: 'ddpm', guided: true },
  ];
  for (const run of runs) yield* await guardMany(group, `${run.name} (UNet)`, () => unetTrajectory(group, ref, st.diffusion_steps, unet.model, shape, run, maxSteps));
  await unet.dispose();
}
