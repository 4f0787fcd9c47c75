import { argmaxIndex, buildTextEncoderGraph, createClipTokenizer, loadClip, textEncoderFeeds, type LoadedClip } from '../../models/clip/index';
import { buildGuidanceGraph, clipCondFn, cutoutFeeds, scaleFeeds, type CondFnSetup, type CutoutParams, type LossFn } from '../../models/guidance/index';
import { hostTensor, type HostTensor, type Session } from '../../runtime';
import {
  applyScaleMultiplier, createRng, createSchedule, guidanceFac, modelTimestep, normalizeWeights, parsePrompt, type GuidanceScales, type Schedule,
} from '../../sampling/index';
import { clipFiles, type UnetFiles } from './fixture-models';
import { chooseUnet, guidedUnetSession, unetAt } from './guidance-unet';
import { guidanceLayout, type GuidanceLayout, type GuidanceSettings } from './guidance-layout';
import { ref, relCheck, runOnce, sessionOf, withCheckpoint, withRefs, type Refs } from './model-checks';
import { cannotInterpret, exact, guard, guardMany } from './results';
import type { CheckResult, GroupContext } from './types';

/** The tolerance: max |error| ≤ 1e-4 · max |reference| for every term and gradient. */
const REL = 1e-4;

const f32 = (shape: readonly number[], data: Float32Array): HostTensor => hostTensor('float32', shape, data);

export function scalesOf(g: GuidanceSettings['guidance']): GuidanceScales {
  return applyScaleMultiplier({ clipGuidanceScale: g.clip_guidance_scale, tvScale: g.tv_scale, rangeScale: g.range_scale, saturationScale: g.saturation_scale, initScale: 0 }, g.scale_multiplier);
}

const targetsOf = (refs: Refs) => {
  const embeds = refs.get('target_embeds')!;
  return { embeds: f32(embeds.shape, embeds.data), weights: f32([embeds.shape[0]!], ref(refs, 'weights')) };
};

/** The prompts of settings.guidance: tokens, encode_text and the normalised weights against target_tokens, target_embeds, weights. */
async function targetChecks(ctx: GroupContext, refs: Refs, clip: LoadedClip, prompts: readonly string[], vocabulary: string): Promise<CheckResult[]> {
  const group = ctx.manifest.group;
  const tokenizer = createClipTokenizer(await ctx.dir.withSource(vocabulary, (s) => s.read(0, s.size)));
  const parsed = prompts.map(parsePrompt);
  const tokens = parsed.map((p) => tokenizer.tokenize(p.text, clip.architecture.contextLength));
  const expected = ref(refs, 'target_tokens');
  const wrong = tokens.filter((t, i) => t.ids.some((id, j) => id !== expected[i * t.ids.length + j])).length;
  const batch = tokens.map((t) => ({ ...t, eotIndex: argmaxIndex(t.ids) }));
  const out = await runOnce(ctx.runtime, buildTextEncoderGraph(clip.weights, clip.architecture, { batch: batch.length }), textEncoderFeeds(batch));
  return [
    exact(group, `targets: ${prompts.length} prompts of settings.guidance tokenized = target_tokens`, wrong),
    relCheck(group, 'targets: encode_text of the prompts = target_embeds', out.embedding!.data as Float32Array, ref(refs, 'target_embeds'), REL),
    relCheck(group, 'targets: weights / |Σw| = weights', normalizeWeights(parsed.map((p) => p.weight)), ref(refs, 'weights'), 0),
  ];
}

/** Batch b's recorded (size, offset_y, offset_x) crops of `<prefix>.cutout_params` [batches, cutn, 3]. */
function recordedCrops(refs: Refs, prefix: string, b: number, cutn: number): CutoutParams[] {
  const p = ref(refs, `${prefix}.cutout_params`);
  return Array.from({ length: cutn }, (_, k) => {
    const [size, offsetY, offsetX] = p.subarray((b * cutn + k) * 3, (b * cutn + k) * 3 + 3);
    return { crop: { height: size!, width: size!, offsetY: offsetY!, offsetX: offsetX! } };
  });
}

/** The cond_fn body without a UNet, with the recorded cutouts, for one cutout case and loss function. */
async function cutoutCaseChecks(ctx: GroupContext, refs: Refs, s: GuidanceSettings, clip: LoadedClip, c: GuidanceLayout['cutoutCases'][number], lossFn: LossFn): Promise<CheckResult[]> {
  const group = ctx.manifest.group;
  const [batches, cutn] = refs.get(`${c.prefix}.cutout_params`)!.shape as [number, number];
  const [, , h, w] = refs.get(`${c.prefix}.x_in`)!.shape as [number, number, number, number];
  const targets = targetsOf(refs);
  const graph = buildGuidanceGraph(clip, { image: { height: h, width: w }, cutn, targets: targets.embeds.shape[0]!, lossFn, augment: false });
  const xIn = ref(refs, `${c.prefix}.x_in`);
  const common = { x_in: f32([1, 3, h, w], xIn), pred_xstart: f32([1, 3, h, w], xIn.map((x) => Math.fround(c.predXstartFactor * x))), target_embeds: targets.embeds, target_weights: targets.weights };
  const runs: Record<string, HostTensor>[] = [];
  const geometry = { height: h, width: w, cutSize: clip.architecture.imageResolution, cutn };
  for (let b = 0; b < batches; b++) runs.push(await runOnce(ctx.runtime, graph, { ...common, ...scaleFeeds(scalesOf(s.guidance), batches), ...cutoutFeeds(recordedCrops(refs, c.prefix, b, cutn), geometry) }));
  const data = (r: Record<string, HostTensor>, k: string) => r[k]!.data as Float32Array;
  const gradClip = runs.reduce((acc, r) => acc.map((x, i) => x + data(r, 'grad_clip')[i]!), new Float32Array(xIn.length));
  const check = (name: string, actual: ArrayLike<number>, refName: string) => relCheck(group, `${c.prefix} ${lossFn}: ${name}`, actual, ref(refs, refName), REL);
  const terms = (['tv_loss', 'range_loss', 'sat_loss'] as const).filter((t) => refs.has(`${c.prefix}.${t}`));
  return [
    check(`clip loss per cutn batch (${batches} × ${cutn} cutouts)`, runs.map((r) => data(r, 'clip_loss')[0]!), `${c.prefix}.${lossFn}.clip_loss_values`),
    ...terms.map((t) => check(t, data(runs[0]!, t), `${c.prefix}.${t}`)),
    ...(refs.has(`${c.prefix}.grad_other`) ? [check('d(tv + sat)/dx_in', data(runs[0]!, 'grad_other'), `${c.prefix}.grad_other`)] : []),
    check('x_in_grad = d(total)/dx_in', gradClip.map((g, i) => g + data(runs[0]!, 'grad_other')[i]!), `${c.prefix}.${lossFn}.x_in_grad`),
  ];
}

interface CondFnModels {
  readonly unet: Session;
  readonly guidance: Session;
  readonly schedule: Schedule;
  readonly size: number;
}

/** The full cond_fn at step `index` through the UNet (condfn.t<index>.*). */
async function condFnChecks(ctx: GroupContext, refs: Refs, s: GuidanceSettings, clip: LoadedClip, m: CondFnModels, index: number): Promise<CheckResult[]> {
  const at = (name: string) => ref(refs, `condfn.t${index}.${name}`);
  const x = at('x');
  const vjp = unetAt(m.unet, m.schedule, x, index);
  const predXstart = (await vjp(new Float32Array(x.length))).pred_xstart!.data as Float32Array;
  const guide = { run: (feeds: Record<string, HostTensor>) => m.guidance.run(feeds), cutSize: clip.architecture.imageResolution, targets: targetsOf(refs), rng: createRng(index), weight: 1 };
  const setup: CondFnSetup = { schedule: m.schedule, geometry: { height: m.size, width: m.size, cutn: s.guidance.cutn }, cutnBatches: s.guidance.cutn_batches, skipAugs: true, scales: scalesOf(s.guidance), guides: [guide], clampGrad: s.condfn?.clamp_grad ?? true };
  const r = await clipCondFn(setup, async (cot) => (await vjp(cot)).grad_x!.data as Float32Array, x, predXstart, index);
  const pairs: [string, ArrayLike<number>][] = [
    ['fac', [guidanceFac(m.schedule, index)]], ['model_t', [modelTimestep(m.schedule, index)]], ['pred_xstart', predXstart], ['x_in', r.xIn], ['clip_loss_values', r.clipLosses],
    ['tv_loss', [r.tvLoss]], ['range_loss', [r.rangeLoss]], ['sat_loss', [r.satLoss]], ['x_in_grad', r.xInGrad], ['grad_unclamped', r.gradUnclamped], ['grad_magnitude', [r.magnitude]], ['grad', r.grad],
  ];
  return pairs.filter(([name]) => refs.has(`condfn.t${index}.${name}`)).map(([name, actual]) => relCheck(ctx.manifest.group, `cond_fn t${index}: ${name}`, actual, at(name), REL));
}

/** Every condfn.t<i> case through the UNet and the guidance graph. */
async function* condFnCases(ctx: GroupContext, refs: Refs, s: GuidanceSettings, clip: LoadedClip, layout: GuidanceLayout): AsyncIterable<CheckResult> {
  const group = ctx.manifest.group;
  const [first] = layout.condFnTimes;
  if (first === undefined || !s.condfn) return;
  const size = s.condfn.image_size;
  const padded = size + 2 * Math.floor(size / 4);
  if (padded > clip.architecture.imageResolution) {
    yield cannotInterpret(group, { what: 'condfn.t*', why: `at ${size}² the padded image (${padded}) exceeds CLIP's ${clip.architecture.imageResolution}, so the cutouts are random, and they are not recorded` });
    return;
  }
  const schedule = (u: UnetFiles) => createSchedule({ steps: s.diffusion_steps ?? u.diffusionSteps, respacing: s.condfn!.sampling });
  const probe = { at: (u: UnetFiles) => ({ schedule: schedule(u), index: first, x: ref(refs, `condfn.t${first}.x`) }), predXstart: ref(refs, `condfn.t${first}.pred_xstart`) };
  const unet = await chooseUnet(ctx, size, probe).catch((err: unknown) => err as Error);
  if (unet instanceof Error) {
    yield exact(group, 'cond_fn: the UNet of the cases', Infinity, unet.message);
    return;
  }
  yield exact(group, `cond_fn: UNet ${unet.files.checkpoint}`, 0, unet.detail);
  const guidance = await sessionOf(ctx.runtime, buildGuidanceGraph(clip, { image: { height: size, width: size }, cutn: s.guidance.cutn, targets: targetsOf(refs).embeds.shape[0]!, lossFn: 'spherical', augment: false }));
  const models = { unet: await guidedUnetSession(ctx, unet.files, size), guidance, schedule: schedule(unet.files), size };
  for (const index of layout.condFnTimes) yield* await guardMany(group, `cond_fn t${index}`, () => condFnChecks(ctx, refs, s, clip, models, index));
  await Promise.all([models.unet.dispose(), guidance.dispose()]);
}

/** Targets, loss terms and d(total)/d(x_in) of every cutout case and loss function, and the full cond_fn through the UNet. */
export const guidanceModel = (ctx: GroupContext): AsyncIterable<CheckResult> => withRefs(ctx, async function* (refs) {
  const group = ctx.manifest.group;
  const s = ctx.manifest.settings as unknown as GuidanceSettings;
  const layout = guidanceLayout(ctx.manifest);
  for (const u of layout.uninterpreted) yield cannotInterpret(group, u);
  const files = await clipFiles(ctx.dir).catch((err: unknown) => err as Error);
  const clip = files instanceof Error ? files : await withCheckpoint(ctx, files.checkpoint, (ck) => loadClip(ck)).catch((err: unknown) => err as Error);
  if (clip instanceof Error || files instanceof Error) {
    yield await guard(group, 'the clip group\'s CLIP', () => Promise.reject(clip as Error));
    return;
  }
  yield* await guardMany(group, 'targets', () => targetChecks(ctx, refs, clip, s.guidance.prompts, files.vocabulary));
  for (const c of layout.cutoutCases) {
    for (const lossFn of c.lossFns) yield* await guardMany(group, `${c.prefix} ${lossFn}`, () => cutoutCaseChecks(ctx, refs, s, clip, c, lossFn));
  }
  yield* condFnCases(ctx, refs, s, clip, layout);
});
