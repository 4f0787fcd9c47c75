import type { CancelSignal } from '../errors';
import { clipCondFn, type CondFnResult, type CondFnSetup } from '../models/guidance/index';
import { UNET_INPUTS } from '../models/unet/index';
import { hostTensor } from '../runtime';
import { coefficientsAt, predXstartOf, sessionModel, splitModelOutput, type CondFn, type DiffusionModel, type SampleShape } from '../sampling/index';
import type { RunSession } from './models';

export interface GuidedSessions {
  /**
   * buildUnetGraph: the sampler's model call. Absent: the guided graph makes it with a zero
   * cotangent (its `out` is the forward's; the VJP is computed and dropped), so the device holds
   * one copy of the UNet's weights at the price of a second VJP per step (LoadModelsOptions.oneUnetCopy).
   */
  readonly unet?: RunSession;
  /** buildGuidedUnetGraph: the VJP of a cotangent on x̂0 through the UNet. */
  readonly unetGuided: RunSession;
  /** buildLpipsTermGraph, when the job has an init image, init_scale ≠ 0 and LPIPS is loaded. */
  readonly lpips?: RunSession;
}

export interface GuidedModel {
  readonly model: DiffusionModel;
  readonly condFn: CondFn;
}

const one = (v: number) => hostTensor('float32', [1], Float32Array.of(v));

/** The model call through the guided graph: a zero cotangent, the schedule inputs at 1 (only `out` is read). */
function guidedForward(session: RunSession, shape: SampleShape): DiffusionModel {
  const zero = hostTensor('float32', shape, new Float32Array(shape.reduce((a, b) => a * b, 1)));
  return async (x, t) => {
    const feeds = { [UNET_INPUTS.x]: hostTensor('float32', shape, x), [UNET_INPUTS.t]: one(t), [UNET_INPUTS.sqrtRecipAlphasCumprod]: one(1), [UNET_INPUTS.sqrtRecipm1AlphasCumprod]: one(1), [UNET_INPUTS.cotangent]: zero };
    return (await session.run(feeds)).out!.data as Float32Array;
  };
}

/**
 * The sampler's model and clip-diffusion-art's cond_fn (spec §7) over the sessions. cond_fn is
 * always called right after the model with the same x (sampleLoop's contract), so its unclamped
 * x̂0 comes from that model output instead of a second forward; the gradient through the UNet is
 * the guided graph's VJP (spec §7 step 10). `onResult` sees every cond_fn result (loss terms).
 */
export function guidedModel(sessions: GuidedSessions, setup: CondFnSetup, shape: SampleShape, onResult?: (r: CondFnResult, index: number) => void, signal?: CancelSignal): GuidedModel {
  const forward = sessions.unet ? sessionModel(sessions.unet, shape) : guidedForward(sessions.unetGuided, shape);
  let last: { x: Float32Array; out: Float32Array } | undefined;
  const model: DiffusionModel = async (x, t, context) => {
    const out = await forward(x, t, context);
    last = { x, out };
    return out;
  };
  const condFn: CondFn = async (x, t, { index }) => {
    const out = last?.x === x ? last.out : await forward(x, t, { step: -1, index });
    last = undefined;
    const c = coefficientsAt(setup.schedule, index);
    const predXstart = predXstartOf(c, x, splitModelOutput(out, shape).eps, false);
    const feeds = { [UNET_INPUTS.x]: hostTensor('float32', shape, x), [UNET_INPUTS.t]: one(t), [UNET_INPUTS.sqrtRecipAlphasCumprod]: one(c.sqrtRecipAlphaBar), [UNET_INPUTS.sqrtRecipm1AlphasCumprod]: one(c.sqrtRecipm1AlphaBar) };
    const vjp = async (cot: Float32Array) => (await sessions.unetGuided.run({ ...feeds, [UNET_INPUTS.cotangent]: hostTensor('float32', shape, cot) })).grad_x!.data as Float32Array;
    const r = await clipCondFn({ ...setup, ...(signal && { signal }) }, vjp, x, predXstart, index);
    onResult?.(r, index);
    return r.grad;
  };
  return { model, condFn };
}

