import { openCheckpoint } from '../../checkpoint/index';
import { isAbortError } from '../../errors';
import { optimize, serialize } from '../../graph';
import { buildUnetGraph, loadUnetWeights, parseModelConfigYaml, resolveConfig } from '../../models/unet/index';
import {
  coefficientsAt, modelOutputFor, numel, replayRng, sampleLoop, sessionModel, type CondFn, type DiffusionModel, type SampleShape,
} from '../../sampling/index';
import type { DiffusionRun } from './diffusion-runs';
import { analyticGrad, STEP_TOLERANCE, type DiffusionCase } from './diffusion-steps';
import { relResult, stepError } from './results';
import type { CheckResult, GroupContext } from './types';

/** The step noise a run drew: its recorded draws, or zeros where it records none (DDIM with η = 0 multiplies them by σ = 0). */
const stepNoise = (c: DiffusionCase, run: DiffusionRun, count: number): Float32Array[] =>
  Array.from({ length: count }, (_, k) => (run.recorded.has('noise') ? c.ref.row(`${run.name}.noise`, k) : new Float32Array(numel(c.shape))));

/** The loop's input at step 0: x_T, or the recorded q_sample start of a run that skips steps. */
const startOf = (c: DiffusionCase, run: DiffusionRun): Float32Array => c.ref.f32(run.skip > 0 ? `${run.name}.x_start` : 'x_T');

/**
 * A model that returns, at step k, the output reproducing the recorded x̂0[k] at the recorded
 * input (the start or x[k−1]), so the loop's own arithmetic is what is compared.
 */
function replayModel(c: DiffusionCase, run: DiffusionRun): DiffusionModel {
  const s = c.schedule(run.respacing);
  const start = startOf(c, run);
  return (_x, _t, { step, index }) => Promise.resolve(
    modelOutputFor(coefficientsAt(s, index), step === 0 ? start : c.ref.row(`${run.name}.x`, step - 1), c.ref.row(`${run.name}.pred_xstart`, step)));
}

export const analyticCondFn = (target: Float32Array): CondFn => (x, t) => Promise.resolve(analyticGrad(x, target, t));

/** The loop options a recorded run was sampled with. */
function loopOptions(c: DiffusionCase, run: DiffusionRun, model: DiffusionModel, draws: number) {
  return {
    schedule: c.schedule(run.respacing), method: run.method, shape: c.shape, model, noise: c.ref.f32('x_T'), eta: run.eta,
    rng: replayRng(stepNoise(c, run, draws)),
    ...(run.skip > 0 && { skipTimesteps: run.skip, initImage: c.ref.f32('init_image') }),
  };
}

/**
 * A DDIM run whose x̂0 is recorded, replayed through `sampleLoop` without the UNet: every step's x,
 * x̂0 and (when guided) cond_fn output against the reference.
 */
export async function replayTrajectory(c: DiffusionCase, run: DiffusionRun): Promise<CheckResult[]> {
  const errors = { x: 0, predXstart: 0, condGrad: 0 };
  const cond = analyticCondFn(c.ref.f32('cond_target'));
  const condFn: CondFn = async (x, t, context) => {
    const g = await cond(x, t, context);
    if (run.recorded.has('cond_grad')) errors.condGrad = Math.max(errors.condGrad, stepError(g, c.ref.row(`${run.name}.cond_grad`, context.step)));
    return g;
  };
  await sampleLoop({
    ...loopOptions(c, run, replayModel(c, run), run.steps),
    ...(run.guided && { condFn }),
    onStep: ({ step, sample, preview }) => {
      errors.x = Math.max(errors.x, stepError(sample, c.ref.row(`${run.name}.x`, step)));
      errors.predXstart = Math.max(errors.predXstart, stepError(preview!, c.ref.row(`${run.name}.pred_xstart`, step)));
    },
  });
  const results = [
    relResult(c.group, `${run.name}: x per step (replayed model output, ${run.steps} steps)`, errors.x, STEP_TOLERANCE),
    relResult(c.group, `${run.name}: pred_xstart per step`, errors.predXstart, STEP_TOLERANCE),
  ];
  if (run.guided && run.recorded.has('cond_grad')) results.push(relResult(c.group, `${run.name}: cond_fn output per step`, errors.condGrad, STEP_TOLERANCE));
  return results;
}

/** The UNet checkpoint the manifest's `settings.unet` names ("A (see unet group; same checkpoint unet/unet_A.pt)"), with its yaml. */
function unetFiles(settingsUnet: string): { checkpoint: string; yaml: string } {
  const checkpoint = /\S+\.pt\b/.exec(settingsUnet)?.[0];
  if (!checkpoint) throw new Error(`settings.unet names no .pt checkpoint: '${settingsUnet}'`);
  return { checkpoint, yaml: checkpoint.replace(/\.pt$/, '.yaml') };
}

/** The named UNet as a model on the conformance runtime (the files are relative to the fixture root, a level above this group). */
export async function fixtureUnet(ctx: GroupContext, settingsUnet: string, shape: SampleShape): Promise<{ model: DiffusionModel; dispose: () => Promise<void> }> {
  const files = unetFiles(settingsUnet);
  const config = resolveConfig(parseModelConfigYaml(await ctx.dir.readText(ctx.path(`../${files.yaml}`))));
  const weights = await ctx.dir.withSource(ctx.path(`../${files.checkpoint}`), async (source) => loadUnetWeights(await openCheckpoint(source), config, files.checkpoint));
  const graph = buildUnetGraph(config, weights, { batch: shape[0], height: shape[2], width: shape[3] });
  const session = await ctx.runtime.createSession(serialize(optimize(graph)));
  return { model: sessionModel(session, shape), dispose: () => session.dispose() };
}

/** A whole recorded run sampled with the real UNet (at most `maxSteps` steps): x per step, and x̂0 where recorded. */
export async function unetTrajectory(c: DiffusionCase, model: DiffusionModel, run: DiffusionRun, maxSteps: number): Promise<CheckResult[]> {
  const count = Math.min(run.steps, maxSteps);
  const signal = { aborted: false };
  const hasPredXstart = run.recorded.has('pred_xstart');
  const errors = { x: 0, predXstart: 0 };
  await sampleLoop({
    ...loopOptions(c, run, model, count), signal,
    ...(run.guided && { condFn: analyticCondFn(c.ref.f32('cond_target')) }),
    onStep: ({ step, sample, preview }) => {
      errors.x = Math.max(errors.x, stepError(sample, c.ref.row(`${run.name}.x`, step)));
      if (hasPredXstart) errors.predXstart = Math.max(errors.predXstart, stepError(preview!, c.ref.row(`${run.name}.pred_xstart`, step)));
      signal.aborted = step + 1 >= count;
    },
  }).catch((err: unknown) => {
    // Stopping after `count` steps is how a shortened run ends.
    if (!isAbortError(err) || count === run.steps) throw err;
  });
  const results = [relResult(c.group, `${run.name}: x per step (UNet, ${count} of ${run.steps} steps)`, errors.x, STEP_TOLERANCE)];
  if (hasPredXstart) results.push(relResult(c.group, `${run.name}: pred_xstart per step (UNet)`, errors.predXstart, STEP_TOLERANCE));
  return results;
}
