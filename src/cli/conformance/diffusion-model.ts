import { SettingsError } from '../../errors';
import { createSchedule, modelTimestep, spaceTimesteps, type SampleShape, type Schedule } from '../../sampling/index';
import { diffusionLayout, partnerRun, type DiffusionLayout, type DiffusionRun } from './diffusion-runs';
import { fixtureUnet, replayTrajectory, unetTrajectory } from './diffusion-replay';
import { etaFirstStep, pCondFirstStep, pSampleDetail, skipStart, type DiffusionCase } from './diffusion-steps';
import { loadReferenceTensors } from './reference-tensors';
import { cannotInterpret, exact, guard, guardMany, relResult } from './results';
import type { CheckResult, CheckSuite, GroupContext } from './types';

const SCHEDULE_TOLERANCE = 1e-12;

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

const SCHEDULE_ARRAYS: readonly (readonly [string, keyof Schedule])[] = [
  ['betas', 'betas'], ['alphas_cumprod', 'alphasCumprod'], ['alphas_cumprod_prev', 'alphasCumprodPrev'],
  ['sqrt_alphas_cumprod', 'sqrtAlphasCumprod'], ['sqrt_one_minus_alphas_cumprod', 'sqrtOneMinusAlphasCumprod'],
  ['sqrt_recip_alphas_cumprod', 'sqrtRecipAlphasCumprod'], ['sqrt_recipm1_alphas_cumprod', 'sqrtRecipm1AlphasCumprod'],
  ['posterior_variance', 'posteriorVariance'], ['posterior_log_variance_clipped', 'posteriorLogVarianceClipped'],
  ['posterior_mean_coef1', 'posteriorMeanCoef1'], ['posterior_mean_coef2', 'posteriorMeanCoef2'],
];

/** Tensor prefix of a respacing: `sched.<respacing>`, the empty respacing being `base<T>`. */
const schedPrefix = (respacing: string, steps: number): string => `sched.${respacing === '' ? `base${steps}` : respacing}`;

function scheduleChecks(c: DiffusionCase, steps: number, respacing: string): CheckResult[] {
  const prefix = schedPrefix(respacing, steps);
  const s = c.schedule(respacing);
  const map = c.ref.ints(`${prefix}.timestep_map`);
  const mapDiff = map.length === s.timestepMap.length ? map.filter((t, i) => t !== s.timestepMap[i]).length : Infinity;
  const errors = SCHEDULE_ARRAYS.map(([name, key]) => [name, elementRel(s[key] as Float64Array, c.ref.f64(`${prefix}.${name}`))] as const);
  const worst = errors.reduce((a, b) => (b[1] > a[1] ? b : a));
  return [
    exact(c.group, `${prefix}.timestep_map`, mapDiff, `${s.numTimesteps} steps`),
    relResult(c.group, `${prefix}: ${SCHEDULE_ARRAYS.length} float64 arrays (per element)`, worst[1], SCHEDULE_TOLERANCE, `worst: ${worst[0]}`),
  ];
}

/**
 * The respacings `checks` records upstream refusing (`"space_timesteps(1000,'ddim150')": "ValueError: …"`):
 * ours must refuse them too, with a SettingsError.
 */
function refusalChecks(group: string, checks: Readonly<Record<string, unknown>>): CheckResult[] {
  return Object.entries(checks).flatMap(([key, value]) => {
    const m = /^space_timesteps\((\d+),\s*'([^']*)'\)$/.exec(key);
    if (!m || typeof value !== 'string' || !value.startsWith('ValueError')) return [];
    const name = `space_timesteps(${m[1]}, '${m[2]}') is refused`;
    try {
      spaceTimesteps(Number(m[1]), m[2]!);
      return [exact(group, name, 1, 'no error')];
    } catch (err) {
      return [exact(group, name, err instanceof SettingsError ? 0 : 1, (err as Error).message)];
    }
  });
}

/** t_index is N − skip − 1 … 0, one per recorded step, and model_t (and cond_t where recorded) what `modelTimestep` gives for it. */
function timestepCheck(c: DiffusionCase, run: DiffusionRun): CheckResult {
  const s = c.schedule(run.respacing);
  const indices = c.ref.ints(`${run.name}.t_index`);
  const timesteps = ['model_t', ...(run.recorded.has('cond_t') ? ['cond_t'] : [])].map((q) => c.ref.f32(`${run.name}.${q}`));
  const expected = s.numTimesteps - run.skip;
  const wrong = indices.filter((j, k) => j !== expected - 1 - k || timesteps.some((t) => t[k] !== modelTimestep(s, j))).length;
  const counts = Math.abs(indices.length - expected) + Math.abs(run.steps - expected);
  return exact(c.group, `${run.name}: step indices and model timesteps`, wrong + counts, `${run.steps} steps recorded, ${expected} expected (${s.numTimesteps} − skip ${run.skip})`);
}

interface DiffusionSettings {
  readonly unet: string;
  readonly diffusion_steps: number;
  readonly schedules?: readonly string[];
  readonly eta_run?: { readonly respacing: string; readonly eta: number };
  readonly skip_run?: { readonly respacing: string; readonly skip_timesteps: number; readonly first_index?: number };
  readonly p_sample_detail?: { readonly k: number; readonly i: number };
}

/** The runs `settings` describes (eta_run, skip_run) exist among the tensors, with the same parameters. */
function settingsChecks(c: DiffusionCase, st: DiffusionSettings, runs: readonly DiffusionRun[]): CheckResult[] {
  const results: CheckResult[] = [];
  if (st.eta_run) {
    const { respacing, eta } = st.eta_run;
    const found = runs.find((r) => r.method === 'ddim' && !r.guided && r.skip === 0 && r.eta === eta && r.respacing === respacing);
    results.push(exact(c.group, `settings.eta_run (η ${eta}, '${respacing}') is a recorded run`, found ? 0 : 1, found?.name ?? 'no such run among the tensors'));
  }
  if (st.skip_run) {
    const { respacing, skip_timesteps: skip, first_index: first } = st.skip_run;
    const found = runs.find((r) => r.skip === skip && r.respacing === respacing);
    const firstOk = first === undefined || first === c.schedule(respacing).numTimesteps - skip - 1;
    results.push(exact(c.group, `settings.skip_run (skip ${skip}, '${respacing}') is a recorded run`, found && firstOk ? 0 : 1, found ? `${found.name}, first index ${first ?? '—'}` : 'no such run among the tensors'));
  }
  return results;
}

/** What a run needs recorded to be checked at all; a run missing it is a FAIL line saying so. */
function missingForRun(run: DiffusionRun): string[] {
  const needs = ['t_index', 'model_t', 'x'];
  if (run.method === 'ddpm' || run.eta !== 0) needs.push('noise');
  if (run.skip > 0) needs.push('x_start');
  if (run.guided) needs.push('cond_t');
  return needs.filter((q) => !run.recorded.has(q));
}

/** Replayed without the UNet: DDIM runs that recorded their x̂0 (the model output is then known). */
const replayable = (run: DiffusionRun): boolean => run.method === 'ddim' && run.recorded.has('pred_xstart');

/** The single steps the recorded data determine without the UNet. */
async function* singleSteps(c: DiffusionCase, st: DiffusionSettings, layout: DiffusionLayout, runs: readonly DiffusionRun[]): AsyncIterable<CheckResult> {
  for (const run of runs) {
    const eta0 = run.method === 'ddim' && run.eta !== 0 && !run.guided && run.skip === 0
      ? partnerRun(runs, run, (r) => r.method === 'ddim' && r.eta === 0 && !r.guided && r.recorded.has('pred_xstart')) : undefined;
    if (eta0) yield await guard(c.group, `${run.name}: step 0`, () => Promise.resolve(etaFirstStep(c, run, eta0)));
    if (run.skip > 0) yield* await guardMany(c.group, `${run.name}: start`, () => skipStart(c, run));
    const plain = run.method === 'ddpm' && run.guided && run.skip === 0 ? partnerRun(runs, run, (r) => r.method === 'ddpm' && !r.guided) : undefined;
    if (plain) yield* await guardMany(c.group, `${run.name}: step 0`, async () => pCondFirstStep(c, run, plain));
  }
  for (const [runName, detail] of layout.details) {
    const run = runs.find((r) => r.name === runName);
    if (!run) continue;
    if (!st.p_sample_detail) yield exact(c.group, `${detail}.*`, Infinity, 'cannot interpret: settings.p_sample_detail {k, i} does not say which step they detail');
    else yield* await guardMany(c.group, detail, async () => pSampleDetail(c, run, detail, st.p_sample_detail!));
  }
}

/** The suite with the UNet-driven runs cut to their first `unetSteps` steps (the unit tests' budget). */
export async function* diffusionChecks(ctx: GroupContext, unetSteps: number): AsyncIterable<CheckResult> {
  const group = ctx.manifest.group;
  const st = ctx.manifest.settings as unknown as DiffusionSettings;
  const ref = await loadReferenceTensors(ctx.dir, ctx.path(ctx.manifest.reference_file ?? `${group}_ref.safetensors`)).catch((err: unknown) => err as Error);
  if (ref instanceof Error) {
    yield exact(group, 'reference tensors read', Infinity, ref.message);
    return;
  }
  const schedules = new Map<string, Schedule>();
  const schedule = (respacing: string) => schedules.get(respacing) ?? schedules.set(respacing, createSchedule({ steps: st.diffusion_steps, respacing })).get(respacing)!;
  const c: DiffusionCase = { group, ref, shape: ctx.manifest.tensors.x_T?.shape as unknown as SampleShape, schedule };
  const layout = diffusionLayout(ctx.manifest);
  for (const u of layout.uninterpreted) yield cannotInterpret(group, u);
  if (layout.runs.length === 0) yield exact(group, 'recorded sampler runs', Infinity, 'no tensors of the form <run>.<respacing>.x in the manifest');
  for (const respacing of st.schedules ?? []) yield* await guardMany(group, `schedule '${respacing}'`, async () => scheduleChecks(c, st.diffusion_steps, respacing));
  yield* refusalChecks(group, ctx.manifest.checks ?? {});
  yield* await guardMany(group, 'settings', async () => settingsChecks(c, st, layout.runs));
  const runs: DiffusionRun[] = [];
  for (const run of layout.runs) {
    const missing = missingForRun(run);
    if (missing.length > 0) yield exact(group, `run ${run.name}`, Infinity, `cannot check: ${missing.map((q) => `${run.name}.${q}`).join(', ')} not recorded`);
    else runs.push(run);
  }
  for (const run of runs) yield await guard(group, `${run.name}: timesteps`, () => Promise.resolve(timestepCheck(c, run)));
  for (const run of runs.filter(replayable)) yield* await guardMany(group, run.name, () => replayTrajectory(c, run));
  yield* singleSteps(c, st, layout, runs);
  yield* unetTrajectories(ctx, c, st.unet, runs.filter((r) => !replayable(r)), unetSteps);
}

/**
 * The diffusion group: every respaced schedule array, the timesteps each recorded run gave the
 * model, the DDIM runs whose x̂0 is recorded replayed through `sampleLoop`, the single steps the
 * recorded data determine without the UNet, then every other run sampled with the UNet itself.
 */
export const diffusionModel: CheckSuite = (ctx) => diffusionChecks(ctx, Infinity);

/** The runs whose model outputs are not recorded, sampled with the UNet `settings.unet` names, at most `maxSteps` steps each. */
async function* unetTrajectories(ctx: GroupContext, c: DiffusionCase, settingsUnet: string, runs: readonly DiffusionRun[], maxSteps: number): AsyncIterable<CheckResult> {
  if (runs.length === 0) return;
  const unet = await fixtureUnet(ctx, settingsUnet, c.shape).catch((err: unknown) => err as Error);
  if (unet instanceof Error) {
    yield exact(c.group, 'UNet of settings.unet builds', Infinity, unet.message);
    return;
  }
  for (const run of runs) yield* await guardMany(c.group, `${run.name} (UNet)`, () => unetTrajectory(c, unet.model, run, maxSteps));
  await unet.dispose();
}
