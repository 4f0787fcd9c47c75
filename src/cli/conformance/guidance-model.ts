import { loadClip, type LoadedClip } from '../../models/clip/index';
import { buildGuidanceGraph, clipCondFn, cutoutFeeds, scaleFeeds, type CondFnSetup, type CutoutParams, type LossFn } from '../../models/guidance/index';
import { buildGuidedUnetGraph, loadUnetWeights, parseModelConfigYaml, resolveConfig } from '../../models/unet/index';
import { hostTensor, type HostTensor } from '../../runtime';
import { applyScaleMultiplier, coefficientsAt, createRng, createSchedule, modelTimestep, type GuidanceScales, type Schedule } from '../../sampling/index';
import { ref, relCheck, runOnce, sessionOf, withCheckpoint, withRefs, type Refs } from './model-checks';
import { guard, guardMany } from './results';
import type { CheckResult, GroupContext } from './types';

/** The tolerance: max |error| ≤ 1e-4 · max |reference| for every term and gradient. */
const REL = 1e-4;
/** The guidance group's models (README: the tiny CLIP as clip.load(clip_jit.pt), UNet config A at 32×32). */
const CLIP_FILE = 'clip/clip_jit.pt';
const UNET_FILES = { yaml: 'unet/unet_A.yaml', weights: 'unet/unet_A.pt' };

interface Settings {
  readonly guidance: { cutn: number; cutn_batches: number; clip_guidance_scale: number; tv_scale: number; range_scale: number; saturation_scale: number; scale_multiplier: number };
  readonly s256_pred_xstart: string;
  readonly condfn: { sampling: string; cur_t: number[]; image_size: number };
}

const f32 = (shape: readonly number[], data: Float32Array): HostTensor => hostTensor('float32', shape, data);

function scalesOf(s: Settings): GuidanceScales {
  const g = s.guidance;
  return applyScaleMultiplier({ clipGuidanceScale: g.clip_guidance_scale, tvScale: g.tv_scale, rangeScale: g.range_scale, saturationScale: g.saturation_scale, initScale: 0 }, g.scale_multiplier);
}

const targetsOf = (refs: Refs) => {
  const embeds = refs.get('target_embeds')!;
  return { embeds: f32(embeds.shape, embeds.data), weights: f32([embeds.shape[0]!], ref(refs, 'weights')) };
};

/** Batch b's recorded (size, offset_y, offset_x) crops of s256.cutout_params. */
function recordedCrops(refs: Refs, b: number, cutn: number): CutoutParams[] {
  const p = ref(refs, 's256.cutout_params');
  return Array.from({ length: cutn }, (_, k) => {
    const [size, offsetY, offsetX] = p.subarray((b * cutn + k) * 3, (b * cutn + k) * 3 + 3);
    return { crop: { height: size!, width: size!, offsetY: offsetY!, offsetX: offsetX! } };
  });
}

/** The cond_fn body without a UNet at the s256 size, with the recorded cutouts, for one loss function. */
async function s256Checks(group: string, refs: Refs, s: Settings, clip: LoadedClip, lossFn: LossFn): Promise<CheckResult[]> {
  const { cutn, cutn_batches: batches } = s.guidance;
  const [, , h, w] = refs.get('s256.x_in')!.shape as [number, number, number, number];
  const targets = targetsOf(refs);
  const graph = buildGuidanceGraph(clip, { image: { height: h, width: w }, cutn, targets: targets.embeds.shape[0]!, lossFn, augment: false });
  const xIn = ref(refs, 's256.x_in');
  const factor = Number(/=\s*([\d.]+)\s*\*/.exec(s.s256_pred_xstart)?.[1] ?? NaN);
  const common = { x_in: f32([1, 3, h, w], xIn), pred_xstart: f32([1, 3, h, w], xIn.map((x) => Math.fround(factor * x))), target_embeds: targets.embeds, target_weights: targets.weights };
  const runs: Record<string, HostTensor>[] = [];
  for (let b = 0; b < batches; b++) runs.push(await runOnce(graph, { ...common, ...scaleFeeds(scalesOf(s), batches), ...cutoutFeeds(recordedCrops(refs, b, cutn), { height: h, width: w, cutSize: clip.architecture.imageResolution, cutn }) }));
  const data = (r: Record<string, HostTensor>, k: string) => r[k]!.data as Float32Array;
  const gradClip = runs.reduce((acc, r) => acc.map((x, i) => x + data(r, 'grad_clip')[i]!), new Float32Array(xIn.length));
  const check = (name: string, actual: ArrayLike<number>, refName: string) => relCheck(group, `s256 ${lossFn}: ${name}`, actual, ref(refs, refName), REL);
  return [
    check('clip loss per cutn batch', runs.map((r) => data(r, 'clip_loss')[0]!), `s256.${lossFn}.clip_loss_values`),
    ...(['tv_loss', 'range_loss', 'sat_loss'] as const).map((t) => check(t, data(runs[0]!, t), `s256.${t}`)),
    check('d(tv + sat)/dx_in', data(runs[0]!, 'grad_other'), 's256.grad_other'),
    check('x_in_grad = d(total)/dx_in', gradClip.map((g, i) => g + data(runs[0]!, 'grad_other')[i]!), `s256.${lossFn}.x_in_grad`),
  ];
}

/** The full cond_fn at step cur_t through UNet A (condfn.t<cur_t>.*). */
async function condFnChecks(ctx: GroupContext, refs: Refs, s: Settings, clip: LoadedClip, schedule: Schedule, index: number): Promise<CheckResult[]> {
  const group = ctx.manifest.group;
  const at = (name: string) => ref(refs, `condfn.t${index}.${name}`);
  const config = resolveConfig(parseModelConfigYaml(await ctx.dir.readText(UNET_FILES.yaml)));
  const weights = await withCheckpoint(ctx, UNET_FILES.weights, (ck) => loadUnetWeights(ck, config, UNET_FILES.weights));
  const size = s.condfn.image_size;
  const shape = [1, 3, size, size];
  const unet = await sessionOf(buildGuidedUnetGraph(config, weights, { height: size, width: size }));
  const guidance = await sessionOf(buildGuidanceGraph(clip, { image: { height: size, width: size }, cutn: s.guidance.cutn, targets: targetsOf(refs).embeds.shape[0]!, lossFn: 'spherical', augment: false }));
  const x = at('x');
  const c = coefficientsAt(schedule, index);
  const one = (v: number) => f32([1], Float32Array.of(v));
  const vjp = async (cot: Float32Array) => unet.run({ x: f32(shape, x), t: one(modelTimestep(schedule, index)), sqrt_recip_alphas_cumprod: one(c.sqrtRecipAlphaBar), sqrt_recipm1_alphas_cumprod: one(c.sqrtRecipm1AlphaBar), pred_xstart_cotangent: f32(shape, cot) });
  const predXstart = (await vjp(new Float32Array(x.length))).pred_xstart!.data as Float32Array;
  const setup: CondFnSetup = { schedule, geometry: { height: size, width: size, cutSize: clip.architecture.imageResolution, cutn: s.guidance.cutn }, cutnBatches: s.guidance.cutn_batches, skipAugs: true, scales: scalesOf(s), targets: targetsOf(refs), rng: createRng(index), clampGrad: true };
  const r = await clipCondFn(setup, (feeds) => guidance.run(feeds), async (cot) => (await vjp(cot)).grad_x!.data as Float32Array, x, predXstart, index);
  await Promise.all([unet.dispose(), guidance.dispose()]);
  const pairs: [string, ArrayLike<number>][] = [['pred_xstart', predXstart], ['x_in', r.xIn], ['clip_loss_values', r.clipLosses], ['tv_loss', [r.tvLoss]], ['range_loss', [r.rangeLoss]], ['sat_loss', [r.satLoss]], ['x_in_grad', r.xInGrad], ['grad_unclamped', r.gradUnclamped], ['grad_magnitude', [r.magnitude]], ['grad', r.grad]];
  return pairs.map(([name, actual]) => relCheck(group, `cond_fn t${index}: ${name}`, actual, at(name), REL));
}

/** Loss terms and d(total)/d(x_in) at 256×256 (both loss functions), and the full cond_fn through the UNet. */
export const guidanceModel = (ctx: GroupContext): AsyncIterable<CheckResult> => withRefs(ctx, async function* (refs) {
  const group = ctx.manifest.group;
  const s = ctx.manifest.settings as unknown as Settings;
  const clip = await withCheckpoint(ctx, CLIP_FILE, (ck) => loadClip(ck)).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  if (clip instanceof Error) {
    yield await guard(group, `CLIP from ${CLIP_FILE}`, () => Promise.reject(clip));
    return;
  }
  for (const lossFn of ['spherical', 'cos_spherical'] as const) yield* await guardMany(group, `s256 ${lossFn}`, () => s256Checks(group, refs, s, clip, lossFn));
  const schedule = createSchedule({ steps: 1000, respacing: s.condfn.sampling });
  for (const index of s.condfn.cur_t) yield* await guardMany(group, `cond_fn t${index}`, () => condFnChecks(ctx, refs, s, clip, schedule, index));
});
