import { readTensorFloat32 } from '../../checkpoint/index';
import { optimize, serialize } from '../../graph';
import { decodePng } from '../../png/index';
import { resolveConfig, type UnetFlags } from '../../models/unet/index';
import { diffusionArrays, namedBetas, type NoiseSchedule } from '../../sampling/schedule';
import {
  adamWState, adamWStep, annealedLr, buildTrainingGraph, centerCropArr, microbatchFeeds, parseResumeStep, stepGradients, trainingTensor, updateEma,
  type Microbatch, type MicrobatchResult, type Tensors, type TrainingSchedule,
} from '../../training/index';
import { ref, relCheck, withCheckpoint, withRefs, type Refs } from './model-checks';
import { cannotInterpret, exact } from './results';
import type { CheckResult, GroupContext } from './types';

/** The tolerance where the manifest gives none. */
const REL = 1e-4;

/**
 * For a step after the first: it starts from parameters that AdamW left undetermined by ±lr
 * wherever the previous gradient was within REL of zero (AdamW's first steps move every element by
 * about lr, with the gradient's sign), so its outputs carry that spread. The reference stores no
 * parameters between steps to restart from; measured worst 3.4e-4.
 */
const CHAINED = 1e-3;

interface TrainCase {
  readonly lr: number;
  readonly weight_decay: number;
  readonly ema_rates: readonly number[];
  readonly lr_anneal_steps: number;
  readonly microbatch_size: number;
  readonly microbatches_per_step: number;
  readonly opt_param_groups: readonly { readonly betas: readonly [number, number]; readonly eps: number }[];
}

interface DataPipeline {
  readonly image_size: number;
  readonly files_in_listing_order: readonly string[];
  readonly per_image: Readonly<Record<string, { readonly flipped: boolean }>>;
}

interface TrainSettings {
  readonly data_pipeline?: DataPipeline;
  readonly model_config: UnetFlags;
  readonly full_create_model_and_diffusion_kwargs: { readonly diffusion_steps: number; readonly noise_schedule: NoiseSchedule; readonly rescale_timesteps: boolean };
  readonly param_names: readonly string[];
  readonly n_steps_per_case: number;
  readonly stored_full: { readonly start_checkpoint: string };
  readonly cases: Readonly<Record<string, TrainCase>>;
}

/** The microbatch tensors fed to the loss; the rest of `X.stepk.mbj.*` is checked. */
const MICROBATCH_OUTPUTS: readonly (keyof MicrobatchResult | 'model_out')[] = ['x_t', 'model_out', 'mse', 'vb', 'loss'];

/**
 * Elements whose gradient is float32 rounding noise (an exact zero upstream, e.g. a bias that a
 * GroupNorm with one channel per group removes, or attention's key bias): AdamW divides by √v, so
 * each such element moves by about ±lr with a sign the rounding picks, here and upstream alike.
 * `noisy` counts them per tensor; `moved` bounds how far they may have gone (2·Σ lr so far).
 */
interface NoiseSlack {
  readonly noisy: ReadonlyMap<string, Uint8Array>;
  readonly moved: number;
}

const NOISE = 1e-6;

const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};

/** A tensor's scale for relative errors: its own max|x|, or the largest's when it is rounding noise beside it. */
const scaleOf = (own: number, largest: number): number => (own < NOISE * largest ? largest : own);

const count = (mask: Uint8Array | undefined): number => (mask ? mask.reduce((n, v) => n + v, 0) : 0);

/**
 * Per-tensor [sum, Σx², max|x|] of our arrays against the reference table, each column relative to
 * its own scale (numel·max|x| for the sum, √numel·max|x| for the L2 norm, max|x|); tensors the
 * reference holds at rounding noise against the table's largest max|x|; with `slack`, the noisy
 * elements' possible moves added to the allowance.
 */
function statsCheck(group: string, name: string, ours: Tensors, names: readonly string[], reference: Float32Array, tol: number, slack?: NoiseSlack): CheckResult {
  const largest = Math.max(...names.map((_, i) => reference[i * 3 + 2]!));
  let worst = 0;
  let worstName = '';
  names.forEach((n, i) => {
    const a = ours.get(n)!;
    let sum = 0;
    let sq = 0;
    let max = 0;
    for (let k = 0; k < a.length; k++) {
      const v = a[k]!;
      sum += v;
      sq += v * v;
      max = Math.max(max, Math.abs(v));
    }
    const [rSum, rSq, rMax] = [reference[i * 3]!, reference[i * 3 + 1]!, reference[i * 3 + 2]!];
    const scale = scaleOf(rMax, largest);
    const noisy = count(slack?.noisy.get(n));
    const moved = slack?.moved ?? 0;
    const e = Math.max(
      Math.abs(sum - rSum) / (tol * a.length * scale + moved * noisy),
      Math.abs(Math.sqrt(sq) - Math.sqrt(rSq)) / (tol * Math.sqrt(a.length) * scale + moved * Math.sqrt(noisy)),
      Math.abs(max - rMax) / (tol * scale + (noisy > 0 ? moved : 0)),
    ) * tol;
    if (!(e <= worst)) [worst, worstName] = [Number.isNaN(e) ? Infinity : e, n];
  });
  return { group, name: `${name} (${names.length} tensors)`, maxAbs: worst, maxRel: worst, tolerance: tol, on: 'rel', pass: worst <= tol, ...(worstName && { detail: `worst ${worstName}` }) };
}

/**
 * Full tensors by name against the reference's, each relative to its own max|ref| (the largest
 * one's for a tensor at rounding noise); with `slack`, noisy elements may be off by the moves.
 */
function tensorsCheck(group: string, name: string, ours: Tensors, reference: (n: string) => Float32Array, names: readonly string[], tol: number, slack?: NoiseSlack): CheckResult {
  const largest = Math.max(...names.map((n) => maxAbs(reference(n))));
  let worst = 0;
  let worstName = '';
  for (const n of names) {
    const [a, r, mask] = [ours.get(n)!, reference(n), slack?.noisy.get(n)];
    const scale = scaleOf(maxAbs(r), largest);
    let e = a.length === r.length ? 0 : Infinity;
    for (let i = 0; i < r.length && e !== Infinity; i++) {
      const d = Math.abs(a[i]! - r[i]!);
      const allowed = tol * scale + (mask?.[i] ? slack!.moved : 0);
      e = Number.isNaN(d) ? Infinity : Math.max(e, (d / allowed) * tol);
    }
    if (e > worst) [worst, worstName] = [e, n];
  }
  return { group, name: `${name} (${names.length} tensors)`, maxAbs: worst, maxRel: worst, tolerance: tol, on: 'rel', pass: worst <= tol, ...(worstName && { detail: `worst ${worstName}` }) };
}

/**
 * Marks, per tensor, the elements whose gradient is within the gradient check's tolerance of zero
 * (REL of the tensor's largest |g|, or rounding noise against the step's largest): their sign, and
 * so AdamW's ±lr move, is not determined by a gradient that is right to that tolerance.
 */
function markNoise(noisy: Map<string, Uint8Array>, grads: Tensors): void {
  const own = new Map([...grads].map(([n, g]) => [n, maxAbs(g)]));
  const largest = Math.max(...own.values());
  for (const [n, g] of grads) {
    const threshold = own.get(n)! < NOISE * largest ? NOISE * largest : REL * own.get(n)!;
    const mask = noisy.get(n) ?? new Uint8Array(g.length);
    for (let i = 0; i < g.length; i++) if (Math.abs(g[i]!) <= threshold) mask[i] = 1;
    noisy.set(n, mask);
  }
}

/** The recorded data pipeline: each image through center_crop_arr (Pillow BOX and BICUBIC) and the flip drawn for it. */
async function* dataChecks(ctx: GroupContext, refs: Refs, d: DataPipeline): AsyncIterable<CheckResult> {
  const group = ctx.manifest.group;
  const size = d.image_size;
  for (const [i, name] of d.files_in_listing_order.entries()) {
    const file = Object.keys(ctx.manifest.files).find((f) => f === name || f.endsWith(`/${name}`));
    if (!file) {
      yield cannotInterpret(group, { what: `data pipeline: ${name}`, why: 'the manifest lists no such file' });
      continue;
    }
    const image = decodePng(await ctx.dir.withSource(ctx.path(file), (src) => src.read(0, src.size)));
    const { resized, crop } = centerCropArr(image, size);
    const rgb = Uint8Array.from({ length: resized.width * resized.height * 3 }, (_, k) => resized.data[Math.floor(k / 3) * 4 + (k % 3)]!);
    const shape = refs.get(`data.${i}.resized`)?.shape;
    const sameSize = shape?.[0] === resized.height && shape[1] === resized.width;
    yield sameSize ? relCheck(group, `data.${i}.resized (${name}, ${resized.width}×${resized.height})`, rgb, ref(refs, `data.${i}.resized`), 0) : exact(group, `data.${i}.resized (${name})`, Infinity, `size ${resized.width}×${resized.height}, the reference is ${shape?.[1]}×${shape?.[0]}`);
    yield relCheck(group, `data.${i}.center_crop (${name})`, crop, ref(refs, `data.${i}.center_crop`), 0);
    yield relCheck(group, `data.${i}.out (${name}${d.per_image[name]?.flipped ? ', flipped' : ''})`, trainingTensor(crop, size, Boolean(d.per_image[name]?.flipped)), ref(refs, `data.${i}.out`), 0);
  }
}

/** The named parameters of a state-dict file of the group, as float32 arrays. */
const readParams = (ctx: GroupContext, file: string, names: readonly string[]): Promise<Tensors> =>
  withCheckpoint(ctx, ctx.path(file), async (ck) => new Map(await Promise.all(names.map(async (n) => {
    const t = ck.tensors.get(n);
    if (!t) throw new Error(`${file} has no tensor ${n}`);
    return [n, await readTensorFloat32(t)] as const;
  }))));

const copy = (t: Tensors): Tensors => new Map([...t].map(([n, a]) => [n, a.slice()]));

/** One case of settings.cases: its steps replayed from the recorded draws, every recorded tensor compared. */
async function* caseChecks(ctx: GroupContext, refs: Refs, s: TrainSettings, id: string, start: Tensors): AsyncIterable<CheckResult> {
  const group = ctx.manifest.group;
  const c = s.cases[id]!;
  const kwargs = s.full_create_model_and_diffusion_kwargs;
  const config = resolveConfig(s.model_config);
  const schedule: TrainingSchedule = { arrays: diffusionArrays(namedBetas(kwargs.noise_schedule, kwargs.diffusion_steps)), numTimesteps: kwargs.diffusion_steps, rescaleTimesteps: kwargs.rescale_timesteps };
  const { graph, params: inputShapes } = buildTrainingGraph(config, { batch: c.microbatch_size, numTimesteps: kwargs.diffusion_steps });
  const session = await ctx.runtime.createSession(serialize(optimize(graph)));
  const image = [c.microbatch_size, config.inChannels, config.imageSize, config.imageSize];
  const params = copy(start);
  const emas = c.ema_rates.map(() => copy(start));
  const state = adamWState(params);
  const group0 = c.opt_param_groups[0]!;
  const resumeStep = parseResumeStep(s.stored_full.start_checkpoint);
  let lr = c.lr;
  const noisy = new Map<string, Uint8Array>();
  let moved = 0;
  try {
    for (let k = 1; k <= s.n_steps_per_case; k++) {
      const step = `${id}.step${k}`;
      const tol = k === 1 ? REL : CHAINED;
      const microbatches = Array.from({ length: c.microbatches_per_step }, (_, j): Microbatch => {
        const at = (n: string) => ref(refs, `${step}.mb${j}.${n}`);
        return { xStart: at('x_start'), noise: at('noise'), t: at('t'), weights: at('weights') };
      });
      const { grads, results } = await stepGradients((f) => session.run(f), (m) => microbatchFeeds(schedule, params, inputShapes, m, image), params, microbatches);
      for (const [j, r] of results.entries()) {
        for (const out of MICROBATCH_OUTPUTS) {
          const name = `${step}.mb${j}.${out}`;
          if (refs.has(name)) yield relCheck(group, name, r[out === 'model_out' ? 'out' : out], ref(refs, name), tol);
        }
        const backprop = `${step}.mb${j}.loss_backprop`;
        const w = microbatches[j]!.weights;
        if (refs.has(backprop)) yield relCheck(group, backprop, [r.loss.reduce((a, l, i) => a + l * w[i]!, 0) / r.loss.length], ref(refs, backprop), tol);
      }
      if (refs.has(`${step}.lr`)) yield relCheck(group, `${step}.lr`, [lr], ref(refs, `${step}.lr`), 1e-7);
      const full = s.param_names.filter((n) => refs.has(`${step}.grad.${n}`));
      if (full.length > 0) yield tensorsCheck(group, `${step}.grad`, grads, (n) => ref(refs, `${step}.grad.${n}`), full, tol);
      if (refs.has(`${step}.grad_stats`)) yield statsCheck(group, `${step}.grad_stats`, grads, s.param_names, ref(refs, `${step}.grad_stats`), tol);
      markNoise(noisy, grads);
      moved += 2 * lr;
      adamWStep(params, grads, state, { lr, betas: group0.betas, eps: group0.eps, weightDecay: c.weight_decay });
      c.ema_rates.forEach((rate, e) => updateEma(emas[e]!, params, rate));
      lr = annealedLr(c.lr, c.lr_anneal_steps, k - 1, resumeStep);
      const tables: [string, Tensors][] = [['param_stats', params], ['exp_avg_stats', state.expAvg], ['exp_avg_sq_stats', state.expAvgSq], ...emas.map((e, i): [string, Tensors] => [`ema${i}_stats`, e])];
      // The moments are checked as they are: a noisy element's m and v stay at rounding size.
      for (const [table, values] of tables) if (refs.has(`${step}.${table}`)) yield statsCheck(group, `${step}.${table}`, values, s.param_names, ref(refs, `${step}.${table}`), tol, table.startsWith('exp_avg') ? undefined : { noisy, moved });
    }
    if (refs.has(`${id}.final.state_step`)) yield exact(group, `${id}.final.state_step`, Math.abs(state.step - ref(refs, `${id}.final.state_step`)[0]!));
    for (const file of Object.keys(ctx.manifest.files).filter((f) => f.startsWith(`${id}/model`))) {
      const saved = await readParams(ctx, file, s.param_names);
      yield tensorsCheck(group, `${file}: the parameters after the last step`, params, (n) => saved.get(n)!, s.param_names, CHAINED, { noisy, moved });
    }
  } finally {
    await session.dispose();
  }
}

/**
 * Group `train` (seed-spec §12, issue 22): the data pipeline on the recorded images; every case of settings.cases replayed step by step from
 * the recorded data, timesteps and noise through our training graph (RESCALED_MSE, learned-range
 * VB with ε̂ frozen, the gradient of every parameter) and AdamW / EMA / lr annealing, each recorded
 * loss, gradient, statistics table and saved parameter file compared; and train.py's resume-step
 * parse on the manifest's paths.
 */
export const trainModel = (ctx: GroupContext): AsyncIterable<CheckResult> => withRefs(ctx, async function* (refs) {
  const group = ctx.manifest.group;
  const s = ctx.manifest.settings as unknown as TrainSettings;
  const parses = (ctx.manifest.checks?.parse_resume_step_from_filename ?? {}) as Readonly<Record<string, number>>;
  for (const [path, step] of Object.entries(parses)) yield exact(group, `parse_resume_step_from_filename("${path}") = ${step}`, Math.abs(parseResumeStep(path) - step));
  if (s.data_pipeline) yield* dataChecks(ctx, refs, s.data_pipeline);
  if (!s.cases || !s.param_names) {
    yield cannotInterpret(group, { what: 'settings.cases', why: 'the manifest lists no training cases or parameter names' });
    return;
  }
  const start = await readParams(ctx, s.stored_full.start_checkpoint, s.param_names);
  for (const id of Object.keys(s.cases)) {
    try {
      yield* caseChecks(ctx, refs, s, id, start);
    } catch (err) {
      yield exact(group, `case ${id}`, Infinity, `${(err as Error).name}: ${(err as Error).message}`);
    }
  }
});
