import { openCheckpoint, type Checkpoint } from '../../checkpoint/index';
import { AbortError, isAbortError } from '../../errors';
import { createClipTokenizer, loadClip } from '../../models/clip/index';
import { loadSwinIR } from '../../models/swinir/index';
import { loadUnetWeights, parseModelConfigYaml, resolveConfig } from '../../models/unet/index';
import { defaultSettings, loadModels, prepareJob, sampleImage, type GenerationSettings, type LoadedModels, type ModelSources } from '../../pipeline/index';
import { coefficientsAt, createSchedule, finalImage, qSample, type Schedule } from '../../sampling/index';
import { clipFiles, swinirCheckpoints, type UnetFiles } from './fixture-models';
import { guidanceLayout, type E2eSettings, type GuidanceSettings } from './guidance-layout';
import { guidanceModel } from './guidance-model';
import { chooseUnet } from './guidance-unet';
import { ref, relCheck, withRefs, type Refs } from './model-checks';
import { exact, guardMany, stepError } from './results';
import type { CheckResult, FixtureDir, GroupContext } from './types';

/** The issue's measure: max |error| ≤ 1e-4 · max(1, max |reference|). */
const REL = 1e-4;

/** The e2e run's options (settings.e2e, its prompts or else settings.guidance's) as GenerationSettings. */
export function e2eSettings(s: GuidanceSettings, diffusionSteps: number): GenerationSettings {
  const e = s.e2e as E2eSettings;
  return {
    ...defaultSettings, prompts: [...(e.prompts ?? s.guidance.prompts)], diffusionSteps, sampling: e.sampling, skipTimesteps: e.skip_timesteps, cutn: e.cutn, cutnBatches: e.cutn_batches, eta: e.eta,
    clipGuidanceScale: e.clip_guidance_scale, tvScale: e.tv_scale, rangeScale: e.range_scale, saturationScale: e.saturation_scale, scaleMultiplier: e.scale_multiplier,
    lossFn: e.loss_fn, clipDenoised: e.clip_denoised ?? false, skipAugs: e.skip_augs ?? true, disableGradClamp: !(e.clamp_grad ?? true), initScale: 0, upscale: 'off',
  };
}

/** What the replay records per step, as upstream's taps do (x = out['sample'], pred_xstart unguided, cond_fn output). */
export interface E2eRecord {
  readonly x: Float32Array[];
  readonly predXstart: Float32Array[];
  readonly condGrad: Float32Array[];
  readonly condT: number[];
  readonly clipLosses: number[];
  /** Set when the run went to the end. */
  readonly final?: Float32Array;
}

/**
 * upstream sample() with `noise` as x_T through our pipeline (prepareJob + sampleImage), stopping
 * after `maxSteps` steps when given (the unit test runs a few). When every cutout is the whole
 * padded image (the cut size exceeds the padded size, spec §5) and η = 0, the run is deterministic
 * and matches upstream's without replaying torch's streams.
 */
export async function replayE2e(models: LoadedModels, settings: GenerationSettings, noise: Float32Array, maxSteps?: number): Promise<E2eRecord> {
  const job = await prepareJob(settings, models);
  const rec = { x: [] as Float32Array[], predXstart: [] as Float32Array[], condGrad: [] as Float32Array[], condT: [] as number[], clipLosses: [] as number[] };
  const stop = { aborted: false };
  try {
    const result = await sampleImage(job, {
      noise, previewEvery: 1, signal: stop,
      onCondFn: (r) => {
        rec.condGrad.push(r.grad);
        rec.clipLosses.push(...r.clipLosses);
      },
      onStep: (e) => {
        rec.x.push(e.sample.slice());
        rec.predXstart.push(e.preview!.slice());
        rec.condT.push(e.timestep);
        if (maxSteps !== undefined && rec.x.length >= maxSteps) stop.aborted = true;
      },
    });
    return { ...rec, final: finalImage(result.predXstart) };
  } catch (err) {
    if (stop.aborted && isAbortError(err)) return rec;
    throw err instanceof Error ? err : new AbortError(String(err));
  }
}

/** The files of the models an e2e run uses: a unet-group config, the clip group's CLIP and, for final_sr, a SwinIR checkpoint. */
export interface E2eFiles {
  readonly unet: UnetFiles;
  readonly clip: { readonly checkpoint: string; readonly vocabulary: string };
  readonly swinir?: string;
}

/** The models of `files` as pipeline sources. */
export async function e2eSources(dir: Pick<FixtureDir, 'readText' | 'withSource'>, files: E2eFiles): Promise<ModelSources> {
  const open = <T>(path: string, work: (ck: Checkpoint) => Promise<T>) => dir.withSource(path, async (s) => work(await openCheckpoint(s)));
  const config = resolveConfig(parseModelConfigYaml(await dir.readText(files.unet.yaml)));
  const weights = await open(files.unet.checkpoint, (ck) => loadUnetWeights(ck, config, files.unet.checkpoint));
  const clip = await open(files.clip.checkpoint, (ck) => loadClip(ck));
  const vocab = await dir.withSource(files.clip.vocabulary, (s) => s.read(0, s.size));
  const swinir = files.swinir === undefined ? undefined : await dir.withSource(files.swinir, (s) => loadSwinIR(s, { label: files.swinir! }));
  return { unet: { config, weights }, clips: [clip], tokenizer: createClipTokenizer(vocab), ...(swinir && { swinir: { M: swinir } }) };
}

/** The SwinIR checkpoint settings.e2e names (its note: "… using swinir/swinir_M.pth"), among the swinir group's. */
async function e2eSwinir(dir: FixtureDir, e: E2eSettings): Promise<string> {
  const named = /\S+\.pth\b/.exec(e.note ?? '')?.[0];
  const all = [...(await swinirCheckpoints(dir)).values()];
  const found = named === undefined ? (all.length === 1 ? all[0] : undefined) : all.find((f) => f === named || f.endsWith(`/${named.split('/').at(-1)}`));
  if (!found) throw new Error(`settings.e2e does not name one of the swinir group's checkpoints (${all.join(', ')})${named ? `: it names ${named}` : ''}`);
  return found;
}

interface E2eRun {
  readonly files: E2eFiles;
  readonly settings: GenerationSettings;
  readonly schedule: Schedule;
  readonly steps: number;
  readonly detail: string;
}

/** The e2e run as the fixture records it: its models, options and step count, or what cannot be replayed. */
export async function e2eRun(ctx: GroupContext, refs: Refs): Promise<E2eRun> {
  const s = ctx.manifest.settings as unknown as GuidanceSettings;
  const e = s.e2e as E2eSettings;
  const [steps, , , size] = refs.get('e2e.x')!.shape as [number, number, number, number, number];
  const clip = await clipFiles(ctx.dir);
  const cutSize = (await ctx.dir.withSource(clip.checkpoint, async (src) => loadClip(await openCheckpoint(src)))).architecture.imageResolution;
  const maxSize = size! + 2 * Math.floor(size! / 4);
  if (e.eta !== 0) throw new Error(`settings.e2e.eta is ${e.eta}: its step noise is not recorded, so the run cannot be replayed`);
  if (maxSize > cutSize) throw new Error(`at ${size}² the padded image (${maxSize}) exceeds CLIP's ${cutSize}: the cutouts are random and not recorded`);
  const scheduleOf = (u: UnetFiles) => createSchedule({ steps: s.diffusion_steps ?? u.diffusionSteps, respacing: e.sampling });
  const first = (u: UnetFiles) => scheduleOf(u).numTimesteps - e.skip_timesteps - 1;
  // The first step's unguided x̂0 identifies the UNet: its input is q_sample(0, first, noise) (spec §8.7).
  const at = (u: UnetFiles) => {
    const schedule = scheduleOf(u);
    const index = first(u);
    return { schedule, index, x: qSample(coefficientsAt(schedule, index), new Float32Array(3 * size! * size!), ref(refs, 'e2e.noise')) };
  };
  const unet = await chooseUnet(ctx, size!, { at, predXstart: ref(refs, 'e2e.pred_xstart').subarray(0, 3 * size! * size!) });
  const files = { unet: unet.files, clip, ...(refs.has('e2e.final_sr') && { swinir: await e2eSwinir(ctx.dir, e) }) };
  return { files, settings: e2eSettings(s, s.diffusion_steps ?? unet.files.diffusionSteps), schedule: scheduleOf(unet.files), steps, detail: `${unet.detail}; first index ${first(unet.files)}` };
}

/** One line per per-step quantity: the worst step's error (each step against its own max(1, max|ref|)). */
export function stepChecks(group: string, refs: Refs, rec: E2eRecord, run: Pick<E2eRun, 'schedule' | 'steps'>): CheckResult[] {
  const per = (name: string, ours: readonly ArrayLike<number>[], refName: string): CheckResult => {
    const all = ref(refs, refName);
    const n = all.length / run.steps;
    const errors = ours.map((a, j) => stepError(a, all.subarray(j * n, (j + 1) * n)));
    const worst = errors.reduce((w, e, j) => (e > errors[w]! || Number.isNaN(e) ? j : w), 0);
    const short = ours.length < run.steps ? `; only ${ours.length} of ${run.steps} steps ran` : '';
    const error = errors.length === 0 ? Infinity : errors[worst]!;
    return { group, name: `e2e ${name} (${run.steps} steps)`, maxAbs: error, maxRel: error, tolerance: REL, on: 'rel', pass: ours.length === run.steps && errors.every((e) => e <= REL), detail: `worst step ${worst}${short}` };
  };
  const batches = ref(refs, 'e2e.clip_loss_values').length / run.steps;
  return [
    per('x', rec.x, 'e2e.x'), per('pred_xstart', rec.predXstart, 'e2e.pred_xstart'), per('cond_grad', rec.condGrad, 'e2e.cond_grad'),
    ...(refs.has('e2e.cond_t') ? [per('cond_t', rec.condT.map((t) => [t]), 'e2e.cond_t')] : []),
    relCheck(group, `e2e clip_loss_values (${run.steps} steps × ${batches})`, rec.clipLosses, ref(refs, 'e2e.clip_loss_values'), REL),
  ];
}

/** The step count the fixture records against what the options give: N − skip. */
function stepCountCheck(group: string, run: E2eRun): CheckResult {
  const expected = run.schedule.numTimesteps - run.settings.skipTimesteps;
  return exact(group, `e2e: ${run.steps} recorded steps = ${run.settings.sampling} − skip ${run.settings.skipTimesteps}`, run.steps === expected ? 0 : 1, run.detail);
}

async function e2eChecks(ctx: GroupContext, refs: Refs, maxSteps?: number): Promise<CheckResult[]> {
  const group = ctx.manifest.group;
  const run = await e2eRun(ctx, refs);
  const models = loadModels(ctx.runtime, await e2eSources(ctx.dir, run.files));
  try {
    const rec = await replayE2e(models, run.settings, ref(refs, 'e2e.noise'), maxSteps);
    const results = [stepCountCheck(group, run), ...stepChecks(group, refs, rec, run)];
    if (!rec.final) return results;
    const final = rec.final;
    const [, , h, w] = refs.get('e2e.final')!.shape as [number, number, number, number];
    results.push(relCheck(group, 'e2e final', final, ref(refs, 'e2e.final'), REL));
    if (run.files.swinir) {
      const sr = await models.upscalers.M!.predict({ channels: 3, height: h, width: w, data: final });
      results.push(relCheck(group, `e2e final_sr (${run.files.swinir})`, sr.data, ref(refs, 'e2e.final_sr'), REL));
    }
    return results;
  } finally {
    await models.dispose();
  }
}

/** The guidance group's e2e run (upstream sample() unchanged, recorded noise) through the pipeline, step by step, with its final image and SwinIR result; `maxSteps` cuts it short (the unit tests' budget). */
export const guidanceE2e = (ctx: GroupContext, maxSteps?: number): AsyncIterable<CheckResult> => withRefs(ctx, async function* (refs) {
  if (!guidanceLayout(ctx.manifest).e2e) return;
  yield* await guardMany(ctx.manifest.group, 'e2e sample()', () => e2eChecks(ctx, refs, maxSteps));
});

/** The guidance group's suite: the model checks (guidance-model.ts), then the e2e run. */
export async function* guidanceWithE2e(ctx: GroupContext): AsyncIterable<CheckResult> {
  yield* guidanceModel(ctx);
  yield* guidanceE2e(ctx);
}
