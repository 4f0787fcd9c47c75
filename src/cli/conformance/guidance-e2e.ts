import * as ort from 'onnxruntime-web';
import { openCheckpoint, type Checkpoint } from '../../checkpoint/index';
import { AbortError, isAbortError } from '../../errors';
import { createClipTokenizer, loadClip } from '../../models/clip/index';
import { loadSwinIR } from '../../models/swinir/index';
import { loadUnetWeights, parseModelConfigYaml, resolveConfig } from '../../models/unet/index';
import { defaultSettings, loadModels, prepareJob, sampleImage, type GenerationSettings, type LoadedModels, type ModelSources } from '../../pipeline/index';
import { createRuntime } from '../../runtime';
import { finalImage } from '../../sampling/index';
import { ref, withRefs, type Refs } from './model-checks';
import { guidanceModel } from './guidance-model';
import { compareArrays, guardMany } from './results';
import type { CheckResult, FixtureDir, GroupContext } from './types';

/** The measure: max |error| ≤ 1e-4 · max(1, max |reference|). */
const REL = 1e-4;
const FILES = { clip: 'clip/clip_jit.pt', vocab: 'clip/bpe_simple_vocab_16e6.txt.gz', unetYaml: 'unet/unet_A.yaml', unet: 'unet/unet_A.pt', swinir: 'swinir/swinir_M.pth' };

interface E2eSettings {
  readonly sampling: string; readonly skip_timesteps: number; readonly cutn: number; readonly cutn_batches: number; readonly eta: number;
  readonly clip_guidance_scale: number; readonly tv_scale: number; readonly range_scale: number; readonly saturation_scale: number; readonly scale_multiplier: number;
  readonly loss_fn: 'spherical' | 'cos_spherical'; readonly clip_denoised: boolean; readonly skip_augs: boolean; readonly clamp_grad: boolean;
}

/** The e2e run's settings (guidance_ref.json settings.e2e) as GenerationSettings with the group's prompts. */
export function e2eSettings(manifestSettings: Readonly<Record<string, unknown>>): GenerationSettings {
  const e = manifestSettings.e2e as E2eSettings;
  const prompts = (manifestSettings.guidance as { prompts: string[] }).prompts;
  return {
    ...defaultSettings, prompts, sampling: e.sampling, skipTimesteps: e.skip_timesteps, cutn: e.cutn, cutnBatches: e.cutn_batches, eta: e.eta,
    clipGuidanceScale: e.clip_guidance_scale, tvScale: e.tv_scale, rangeScale: e.range_scale, saturationScale: e.saturation_scale, scaleMultiplier: e.scale_multiplier,
    lossFn: e.loss_fn, clipDenoised: e.clip_denoised, skipAugs: e.skip_augs, disableGradClamp: !e.clamp_grad, initScale: 0, upscale: 'M',
  };
}

/** What the replay records per step, as upstream's taps do (x = out['sample'], pred_xstart unguided, cond_fn output). */
export interface E2eRecord {
  readonly x: Float32Array[];
  readonly predXstart: Float32Array[];
  readonly condGrad: Float32Array[];
  readonly clipLosses: number[];
  /** Set when the run went to the end. */
  readonly final?: Float32Array;
}

/**
 * upstream sample() with `noise` as x_T through our pipeline (prepareJob + sampleImage), stopping
 * after `maxSteps` steps when given (the unit test runs a few). At 32×32 every cutout is the whole
 * padded image (spec §5: cut size > padded size), and eta 0 makes the step noise inert, so the run
 * is deterministic and matches upstream's without replaying torch's streams.
 */
export async function replayE2e(models: LoadedModels, settings: GenerationSettings, noise: Float32Array, maxSteps?: number): Promise<E2eRecord> {
  const job = await prepareJob(settings, models);
  const rec = { x: [] as Float32Array[], predXstart: [] as Float32Array[], condGrad: [] as Float32Array[], clipLosses: [] as number[] };
  const stop = { aborted: false };
  try {
    const result = await sampleImage(job, models.cutSize, {
      noise, previewEvery: 1, signal: stop,
      onCondFn: (r) => {
        rec.condGrad.push(r.grad);
        rec.clipLosses.push(...r.clipLosses);
      },
      onStep: (e) => {
        rec.x.push(e.sample.slice());
        rec.predXstart.push(e.preview!.slice());
        if (maxSteps !== undefined && rec.x.length >= maxSteps) stop.aborted = true;
      },
    });
    return { ...rec, final: finalImage(result.predXstart) };
  } catch (err) {
    if (stop.aborted && isAbortError(err)) return rec;
    throw err instanceof Error ? err : new AbortError(String(err));
  }
}

/** The fixture models as pipeline sources: UNet A, the TorchScript tiny CLIP with the real vocabulary, SwinIR M. */
export async function e2eSources(dir: Pick<FixtureDir, 'readText' | 'withSource'>): Promise<ModelSources> {
  const open = <T>(path: string, work: (ck: Checkpoint) => Promise<T>) => dir.withSource(path, async (s) => work(await openCheckpoint(s)));
  const config = resolveConfig(parseModelConfigYaml(await dir.readText(FILES.unetYaml)));
  const weights = await open(FILES.unet, (ck) => loadUnetWeights(ck, config, FILES.unet));
  const clip = await open(FILES.clip, (ck) => loadClip(ck));
  const swinir = await dir.withSource(FILES.swinir, (s) => loadSwinIR(s, { label: FILES.swinir }));
  const vocab = await dir.withSource(FILES.vocab, (s) => s.read(0, s.size));
  return { unet: { config, weights }, clip, tokenizer: createClipTokenizer(vocab), swinir: { M: swinir } };
}

function check(group: string, name: string, actual: ArrayLike<number>, reference: ArrayLike<number>, detail?: string): CheckResult {
  const { maxAbs } = compareArrays(actual, reference);
  let maxRef = 0;
  for (let i = 0; i < reference.length; i++) maxRef = Math.max(maxRef, Math.abs(reference[i]!));
  const maxRel = maxAbs / Math.max(1, maxRef);
  return { group, name, maxAbs, maxRel, tolerance: REL, on: 'rel', pass: maxRel <= REL, ...(detail !== undefined && { detail }) };
}

/** One line per per-step quantity: the worst step's error (each step against its own max(1, max|ref|)). */
export function stepChecks(group: string, refs: Refs, rec: E2eRecord): CheckResult[] {
  const per = (name: string, ours: readonly Float32Array[], refName: string): CheckResult => {
    const all = ref(refs, refName);
    const n = all.length / 45;
    const lines = ours.map((a, j) => check(group, name, a, all.subarray(j * n, (j + 1) * n)));
    const worst = lines.reduce((w, l, j) => (l.maxRel > lines[w]!.maxRel || Number.isNaN(l.maxRel) ? j : w), 0);
    const short = ours.length < 45 ? `; only ${ours.length} of 45 steps ran` : '';
    return { ...lines[worst]!, name: `e2e ${name} (45 steps)`, pass: ours.length === 45 && lines.every((l) => l.pass), detail: `worst step ${worst}${short}` };
  };
  return [per('x', rec.x, 'e2e.x'), per('pred_xstart', rec.predXstart, 'e2e.pred_xstart'), per('cond_grad', rec.condGrad, 'e2e.cond_grad'), check(group, 'e2e clip_loss_values (90)', rec.clipLosses, ref(refs, 'e2e.clip_loss_values'))];
}

async function e2eChecks(ctx: GroupContext, refs: Refs): Promise<CheckResult[]> {
  const group = ctx.manifest.group;
  const sources = await e2eSources(ctx.dir);
  const models = loadModels(createRuntime(ort, { threads: 1 }), sources);
  try {
    const rec = await replayE2e(models, e2eSettings(ctx.manifest.settings), ref(refs, 'e2e.noise'));
    const final = rec.final!;
    const sr = await models.upscalers.M!.predict({ channels: 3, height: 32, width: 32, data: final });
    return [...stepChecks(group, refs, rec), check(group, 'e2e final', final, ref(refs, 'e2e.final')), check(group, 'e2e final_sr (SwinIR M)', sr.data, ref(refs, 'e2e.final_sr'))];
  } finally {
    await models.dispose();
  }
}

/** The guidance group's e2e run (upstream sample() unchanged, recorded noise) through the pipeline, step by step, with its final image and SwinIR result. */
export const guidanceE2e = (ctx: GroupContext): AsyncIterable<CheckResult> => withRefs(ctx, async function* (refs) {
  yield* await guardMany(ctx.manifest.group, 'e2e sample()', () => e2eChecks(ctx, refs));
});

/** The guidance group's suite: the model checks (guidance-model.ts), then the e2e run. */
export async function* guidanceWithE2e(ctx: GroupContext): AsyncIterable<CheckResult> {
  yield* guidanceModel(ctx);
  yield* guidanceE2e(ctx);
}
