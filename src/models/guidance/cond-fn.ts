import { throwIfAborted, type CancelSignal, SettingsError } from '../../errors';
import type { HostTensor } from '../../runtime';
import { clampGradRms } from '../../sampling/grad-clamp';
import { guidanceFac, guidanceInput, type GuidanceScales } from '../../sampling/guidance-input';
import type { Rng } from '../../sampling/rng';
import type { Schedule } from '../../sampling/schedule';
import { hostTensor } from '../../runtime';
import { LPIPS_TERM } from '../lpips/index';
import { drawCutouts, type CutoutGeometry } from './cutout-params';
import { cutoutFeeds, scaleFeeds } from './guidance-feeds';
import { perspectiveCoefficients } from './perspective';

/** Runs one graph once (a runtime session's `run`). */
export type RunGraph = (feeds: Record<string, HostTensor>) => Promise<Record<string, HostTensor>>;

/**
 * One CLIP model's part of the guidance. The seed guides with one model at weight 1; several guides
 * (beyond the seed) each draw their own cutouts at their own resolution, measure them against their
 * own target embeddings, and add their gradients, each scaled by its weight.
 */
export interface Guide {
  /** Runs the model's guidance graph (buildGuidanceGraph for `subBatch` cutouts). */
  readonly run: RunGraph;
  /** The model's input resolution: its cutouts' size. */
  readonly cutSize: number;
  /** target_embeds [P, D] from this model's encoders and the weights divided by |Σw| [P]. */
  readonly targets: { readonly embeds: HostTensor; readonly weights: HostTensor };
  /** The CPU stream this guide's MakeCutouts draws from (spec §13; the seed's for the first guide). */
  readonly rng: Rng;
  /**
   * Cutouts per graph run (default: all of cutn). The guidance graph is built for this many;
   * a cutn batch runs as sub-batches of its drawn parameters with clip_scale × k/cutn each, and the
   * gradients and losses are summed: the mean over cutn cutouts is the k/cutn-weighted sum of the
   * sub-batch means, so the result is upstream's (ViT-B/16 with 30 cutouts in one graph exceeds the
   * 4 GiB wasm heap). Must divide cutn.
   */
  readonly subBatch?: number;
  /** Multiplies clip_guidance_scale for this model's term. */
  readonly weight: number;
}

export interface CondFnSetup {
  readonly schedule: Schedule;
  /** The sample's size and the cutouts per cutn batch (each guide cuts at its own size). */
  readonly geometry: Omit<CutoutGeometry, 'cutSize'>;
  readonly cutnBatches: number;
  readonly skipAugs: boolean;
  /** After calculate_scale_multiplier. */
  readonly scales: GuidanceScales;
  /** At least one; the seed's cond_fn is one guide of weight 1. */
  readonly guides: readonly Guide[];
  /** --clamp_grad (default on). */
  readonly clampGrad: boolean;
  /** Checked between graph runs, so a cancel lands inside a step. */
  readonly signal?: CancelSignal;
  /** The init image's LPIPS term (spec §7 step 7), when there is an init image and init_scale ≠ 0. */
  readonly init?: InitTerm;
}

export interface InitTerm {
  /** [1,3,H,W] in [−1, 1]. */
  readonly image: HostTensor;
  readonly scale: number;
  /** buildLpipsTermGraph's session. */
  readonly run: RunGraph;
}

export interface GuidanceTerms {
  readonly xIn: Float32Array;
  /** One unscaled CLIP loss per cutn batch (upstream's loss_values), guide after guide. */
  readonly clipLosses: number[];
  readonly tvLoss: number;
  readonly rangeLoss: number;
  readonly satLoss: number;
  /** Σ LPIPS(x_in, init), unscaled; undefined without the init term. */
  readonly initLoss: number | undefined;
  /** d(total)/d(x_in): the CLIP part averaged over cutn batches plus TV, saturation and the init term. */
  readonly xInGrad: Float32Array;
}

const first = (t: HostTensor | undefined): number => Number((t!.data as Float32Array)[0]);

const addInto = (sum: Float32Array, g: Float32Array): void => {
  for (let i = 0; i < g.length; i++) sum[i] = Math.fround(sum[i]! + g[i]!);
};

/** The init term's loss, its gradient added into `xInGrad`. */
async function initTerm(init: InitTerm, xIn: HostTensor, xInGrad: Float32Array): Promise<number> {
  const out = await init.run({ [LPIPS_TERM.xIn]: xIn, [LPIPS_TERM.init]: init.image, [LPIPS_TERM.scale]: hostTensor('float32', [1, 1, 1, 1], Float32Array.of(init.scale)) });
  addInto(xInGrad, out[LPIPS_TERM.grad]!.data as Float32Array);
  return first(out[LPIPS_TERM.loss]);
}

/** Runs one cutn batch of a guide as sub-batches; adds their clip gradients into `xInGrad`, returns the batch's loss and the last run. */
async function cutnBatch(setup: CondFnSetup, guide: Guide, common: Record<string, HostTensor>, xInGrad: Float32Array): Promise<{ loss: number; last: Record<string, HostTensor> }> {
  const geometry = { ...setup.geometry, cutSize: guide.cutSize };
  const { cutn } = geometry;
  const k = guide.subBatch ?? cutn;
  if (!Number.isInteger(k) || k < 1 || cutn % k !== 0) throw new SettingsError(`guidance sub-batch ${k} must be a positive divisor of cutn ${cutn}`);
  const params = drawCutouts(guide.rng, geometry, setup.skipAugs, perspectiveCoefficients);
  const scales = scaleFeeds({ ...setup.scales, clipGuidanceScale: (setup.scales.clipGuidanceScale * guide.weight * k) / cutn }, setup.cutnBatches);
  const targets = { target_embeds: guide.targets.embeds, target_weights: guide.targets.weights };
  let loss = 0;
  let last: Record<string, HostTensor> = {};
  for (let start = 0; start < cutn; start += k) {
    throwIfAborted(setup.signal, 'guidance');
    last = await guide.run({ ...common, ...targets, ...scales, ...cutoutFeeds(params.slice(start, start + k), { ...geometry, cutn: k }) });
    addInto(xInGrad, last.grad_clip!.data as Float32Array);
    loss += k === cutn ? first(last.clip_loss) : Math.fround((first(last.clip_loss) * k) / cutn);
  }
  return { loss: Math.fround(loss), last };
}

/**
 * cond_fn steps 3–9 (spec §7): x_in, each guide's cutn batches of fresh cutouts through its guidance
 * graph (guide by guide, as Disco Diffusion loops over its models), the other terms, the init term.
 */
export async function guidanceTerms(setup: CondFnSetup, x: Float32Array, predXstart: Float32Array, index: number): Promise<GuidanceTerms> {
  if (setup.guides.length === 0) throw new SettingsError('guidance needs at least one CLIP model');
  const xIn = guidanceInput(predXstart, x, guidanceFac(setup.schedule, index));
  const shape = [1, 3, setup.geometry.height, setup.geometry.width];
  const common = { x_in: hostTensor('float32', shape, xIn), pred_xstart: hostTensor('float32', shape, predXstart) };
  const xInGrad = new Float32Array(xIn.length);
  const clipLosses: number[] = [];
  let last: Record<string, HostTensor> = {};
  for (const guide of setup.guides) {
    for (let b = 0; b < setup.cutnBatches; b++) {
      const batch = await cutnBatch(setup, guide, common, xInGrad);
      clipLosses.push(batch.loss);
      last = batch.last;
    }
  }
  // Every guidance graph computes the TV and saturation terms of the same x_in: they count once.
  addInto(xInGrad, last.grad_other!.data as Float32Array);
  throwIfAborted(setup.signal, 'guidance');
  const initLoss = setup.init ? await initTerm(setup.init, common.x_in, xInGrad) : undefined;
  return { xIn, clipLosses, tvLoss: first(last.tv_loss), rangeLoss: first(last.range_loss), satLoss: first(last.sat_loss), initLoss, xInGrad };
}

export interface CondFnResult extends GuidanceTerms {
  /** −(∂x_in/∂x)ᵀ·x_in_grad, through the UNet. */
  readonly gradUnclamped: Float32Array;
  readonly magnitude: number;
  /** What cond_fn returns (RMS capped at 0.05 when clampGrad). */
  readonly grad: Float32Array;
}

/**
 * cond_fn steps 10–12: with x_in = fac·x̂0(x) + (1 − fac)·x, the gradient is
 * −[(1 − fac)·G + (∂x̂0/∂x)ᵀ·(fac·G)]; `pred_xstart_vjp` is the UNet's guided graph (x, the
 * cotangent on x̂0 → grad_x), the RMS clamp follows.
 */
export async function clipCondFn(setup: CondFnSetup, predXstartVjp: (cotangent: Float32Array) => Promise<Float32Array>, x: Float32Array, predXstart: Float32Array, index: number): Promise<CondFnResult> {
  const terms = await guidanceTerms(setup, x, predXstart, index);
  throwIfAborted(setup.signal, 'guidance');
  const fac = guidanceFac(setup.schedule, index);
  const [a, b] = [Math.fround(fac), Math.fround(1 - fac)];
  const throughUnet = await predXstartVjp(terms.xInGrad.map((g) => Math.fround(g * a)));
  const gradUnclamped = terms.xInGrad.map((g, i) => -Math.fround(Math.fround(g * b) + throughUnet[i]!));
  const clamped = setup.clampGrad ? clampGradRms(gradUnclamped) : { grad: gradUnclamped, magnitude: NaN };
  return { ...terms, gradUnclamped, magnitude: clamped.magnitude, grad: clamped.grad };
}
