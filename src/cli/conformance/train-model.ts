import { memorySource } from '../../checkpoint/index';
import { concatBytes } from '../../bytes/concat';
import { optimize, serialize } from '../../graph';
import { decodePng } from '../../png/index';
import { resolveConfig, type UnetFlags } from '../../models/unet/index';
import { diffusionArrays, namedBetas, type NoiseSchedule } from '../../sampling/schedule';
import {
  adamWState, adamWStep, appendCsvRow, buildTrainingGraph, centerCropArr, csvLog, dumpKvs, emaFileName, kvAccumulator, loadTrainingStart, logKv, logLossDict,
  microbatchFeeds, modelFileName, optFileName, optimizerParts, parseResumeStep, readParams, runTrainLoop, stateDictParts, stepGradients, trainingTensor, updateEma,
  type AdamWOptions, type AdamWState, type Microbatch, type MicrobatchResult, type ParamShapes, type Sibling, type Tensors, type TrainingSchedule, type TrainingStart,
} from '../../training/index';
import { ref, relCheck, withRefs, type Refs } from './model-checks';
import { progressCsvCheck, rewriteCheck, savedFileChecks, type FileRecord } from './train-files';
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
  readonly log_interval: number;
  readonly save_interval: number;
  readonly training_test_exit: boolean;
  readonly step_counter_at_exit: number;
  readonly saved_files: readonly string[];
  readonly checkpoint_files?: Readonly<Record<string, FileRecord>>;
  readonly progress_csv?: readonly string[];
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
  readonly param_shapes: readonly (readonly number[])[];
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

const copy = (t: Tensors): Tensors => new Map([...t].map(([n, a]) => [n, a.slice()]));

const sameTensors = (a: Tensors, b: Tensors): boolean => [...a].every(([n, x]) => b.get(n)?.every((v, i) => Object.is(v, x[i])) ?? false);

/**
 * One case of settings.cases run through our TrainLoop schedule, each step replayed from the recorded
 * draws, every recorded tensor compared; then the files the loop saved against their records, the
 * progress.csv it wrote, and a resume from its last files.
 */
async function* caseChecks(ctx: GroupContext, refs: Refs, s: TrainSettings, id: string, start: TrainingStart, shapes: ParamShapes): AsyncIterable<CheckResult> {
  const group = ctx.manifest.group;
  const c = s.cases[id]!;
  const kwargs = s.full_create_model_and_diffusion_kwargs;
  const config = resolveConfig(s.model_config);
  const schedule: TrainingSchedule = { arrays: diffusionArrays(namedBetas(kwargs.noise_schedule, kwargs.diffusion_steps)), numTimesteps: kwargs.diffusion_steps, rescaleTimesteps: kwargs.rescale_timesteps };
  const { graph, params: inputShapes } = buildTrainingGraph(config, { batch: c.microbatch_size, numTimesteps: kwargs.diffusion_steps });
  const session = await ctx.runtime.createSession(serialize(optimize(graph)));
  const image = [c.microbatch_size, config.inChannels, config.imageSize, config.imageSize];
  const params = copy(start.params);
  const emas = start.emas.map(copy);
  const state = adamWState(params);
  const group0 = c.opt_param_groups[0]!;
  const options = (lr: number): AdamWOptions => ({ lr, betas: group0.betas, eps: group0.eps, weightDecay: c.weight_decay });
  const noisy = new Map<string, Uint8Array>();
  let moved = 0;
  let savedLr = c.lr;
  const out: CheckResult[] = [];
  const saved = new Map<string, Uint8Array[]>();
  const kv = kvAccumulator();
  const csv = csvLog();
  let csvText = '';
  const tolOf = (k: number) => (k === 1 ? REL : CHAINED);
  try {
    const counter = await runTrainLoop({
      lr: c.lr, lrAnnealSteps: c.lr_anneal_steps, logInterval: c.log_interval, saveInterval: c.save_interval, resumeStep: start.resumeStep, exitAfterSave: c.training_test_exit,
    }, {
      step: async (counterNow, lr) => {
        const k = counterNow + 1;
        const step = `${id}.step${k}`;
        const tol = tolOf(k);
        const microbatches = Array.from({ length: c.microbatches_per_step }, (_, j): Microbatch => {
          const at = (n: string) => ref(refs, `${step}.mb${j}.${n}`);
          return { xStart: at('x_start'), noise: at('noise'), t: at('t'), weights: at('weights') };
        });
        const { grads, results } = await stepGradients((f) => session.run(f), (m) => microbatchFeeds(schedule, params, inputShapes, m, image), params, microbatches);
        for (const [j, r] of results.entries()) {
          for (const o of MICROBATCH_OUTPUTS) {
            const name = `${step}.mb${j}.${o}`;
            if (refs.has(name)) out.push(relCheck(group, name, r[o === 'model_out' ? 'out' : o], ref(refs, name), tol));
          }
          const backprop = `${step}.mb${j}.loss_backprop`;
          const w = microbatches[j]!.weights;
          if (refs.has(backprop)) out.push(relCheck(group, backprop, [r.loss.reduce((a, l, i) => a + l * w[i]!, 0) / r.loss.length], ref(refs, backprop), tol));
          const weighted = (v: Float32Array) => v.map((x, i) => x * w[i]!);
          logLossDict(kv, kwargs.diffusion_steps, microbatches[j]!.t, { vb: weighted(r.vb), mse: weighted(r.mse), loss: weighted(r.loss) });
        }
        if (refs.has(`${step}.lr`)) out.push(relCheck(group, `${step}.lr`, [lr], ref(refs, `${step}.lr`), 1e-7));
        const full = s.param_names.filter((n) => refs.has(`${step}.grad.${n}`));
        if (full.length > 0) out.push(tensorsCheck(group, `${step}.grad`, grads, (n) => ref(refs, `${step}.grad.${n}`), full, tol));
        if (refs.has(`${step}.grad_stats`)) out.push(statsCheck(group, `${step}.grad_stats`, grads, s.param_names, ref(refs, `${step}.grad_stats`), tol));
        markNoise(noisy, grads);
        moved += 2 * lr;
        adamWStep(params, grads, state, options(lr));
        c.ema_rates.forEach((rate, e) => updateEma(emas[e]!, params, rate));
        const tables: [string, Tensors][] = [['param_stats', params], ['exp_avg_stats', state.expAvg], ['exp_avg_sq_stats', state.expAvgSq], ...emas.map((e, i): [string, Tensors] => [`ema${i}_stats`, e])];
        // The moments are checked as they are: a noisy element's m and v stay at rounding size.
        for (const [table, values] of tables) if (refs.has(`${step}.${table}`)) out.push(statsCheck(group, `${step}.${table}`, values, s.param_names, ref(refs, `${step}.${table}`), tol, table.startsWith('exp_avg') ? undefined : { noisy, moved }));
      },
      logStep: (fileStep) => {
        logKv(kv, 'step', fileStep, true);
        logKv(kv, 'samples', (fileStep + 1) * c.microbatch_size * c.microbatches_per_step, true);
      },
      dump: async () => void (csvText = appendCsvRow(csv, dumpKvs(kv))),
      save: async (fileStep, lr) => {
        savedLr = lr;
        // The parts view the live arrays, which the next steps update: copied now, as writing a file would.
        const keep = (name: string, parts: Uint8Array[]) => saved.set(name, [concatBytes(parts)]);
        keep(modelFileName(fileStep), stateDictParts(params, shapes, start.metadata));
        c.ema_rates.forEach((rate, e) => keep(emaFileName(rate, fileStep), stateDictParts(emas[e]!, shapes, start.metadata)));
        keep(optFileName(fileStep), optimizerParts(state, shapes, options(lr)));
      },
    });
    yield* out;
    yield exact(group, `${id}: TrainLoop's step counter at exit ${counter}, ${state.step} steps`, counter === c.step_counter_at_exit && state.step === s.n_steps_per_case ? 0 : Infinity, `recorded ${c.step_counter_at_exit} and ${s.n_steps_per_case} steps`);
    const names = [...saved.keys()].sort();
    yield exact(group, `${id}: files saved ${names.join(', ')}`, sameList(names, [...c.saved_files].sort()) ? 0 : Infinity, `recorded ${c.saved_files.join(', ')}`);
    for (const [name, parts] of saved) {
      const record = c.checkpoint_files?.[name];
      if (record) for (const r of await savedFileChecks(group, `${id}/${name}`, parts, record)) yield r;
    }
    if (refs.has(`${id}.final.state_step`)) yield exact(group, `${id}.final.state_step`, Math.abs(state.step - ref(refs, `${id}.final.state_step`)[0]!));
    if (c.progress_csv) yield progressCsvCheck(group, `${id}: progress.csv`, csvText, c.progress_csv, (row) => tolOf(row));
    for (const file of Object.keys(ctx.manifest.files).filter((f) => f.startsWith(`${id}/model`))) {
      const saved = await ctx.dir.withSource(ctx.path(file), (src) => readParams(src, shapes, file));
      yield tensorsCheck(group, `${file}: the parameters after the last step`, params, (n) => saved.params.get(n)!, s.param_names, CHAINED, { noisy, moved });
    }
    yield* resumeCheck(group, id, saved, shapes, c.ema_rates, { params, emas, state, lr: savedLr });
  } finally {
    await session.dispose();
  }
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * A resume from the last model file the loop saved (TrainLoop's load path): the step parsed from its
 * name, and the parameters, every EMA, the moments, AdamW's step and the param group's lr read back
 * bit for bit.
 */
async function* resumeCheck(group: string, id: string, saved: ReadonlyMap<string, Uint8Array[]>, shapes: ParamShapes, rates: readonly number[], ours: { params: Tensors; emas: Tensors[]; state: AdamWState; lr: number }): AsyncIterable<CheckResult> {
  const last = [...saved.keys()].filter((n) => n.startsWith('model')).sort().at(-1)!;
  const source = (name: string) => memorySource(concatBytes(saved.get(name)!));
  const sibling: Sibling = async (name, work) => (saved.has(name) ? work(source(name)) : undefined);
  const resumed = await loadTrainingStart(`outputs/${last}`, source(last), sibling, shapes, rates);
  const opt = resumed.optimizer;
  const same = resumed.resumeStep === parseResumeStep(last) && resumed.resumeStep > 0 && sameTensors(ours.params, resumed.params) && resumed.emas.every((e, i) => sameTensors(ours.emas[i]!, e))
    && opt !== undefined && opt.state.step === ours.state.step && sameTensors(ours.state.expAvg, opt.state.expAvg) && sameTensors(ours.state.expAvgSq, opt.state.expAvgSq) && opt.group.lr === ours.lr;
  yield exact(group, `${id}: resumed from ${last} (step ${resumed.resumeStep}): parameters, ${rates.length} EMAs, AdamW moments, step and lr restored`, same ? 0 : Infinity, resumed.log.join('; '));
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
  const shapes: ParamShapes = new Map(s.param_names.map((n, i) => [n, s.param_shapes[i]!]));
  const startFile = s.stored_full.start_checkpoint;
  for (const file of Object.keys(ctx.manifest.files).filter((f) => Object.keys(s.cases).some((id) => f.startsWith(`${id}/`)))) yield await rewriteCheck(ctx, file, shapes);
  for (const id of Object.keys(s.cases)) {
    try {
      const rates = s.cases[id]!.ema_rates;
      const start = await ctx.dir.withSource(ctx.path(startFile), (src) => loadTrainingStart(startFile, src, async () => undefined, shapes, rates));
      yield* caseChecks(ctx, refs, s, id, start, shapes);
    } catch (err) {
      yield exact(group, `case ${id}`, Infinity, `${(err as Error).name}: ${(err as Error).message}`);
    }
  }
});
