import { buildGuidedUnetGraph, loadUnetWeights, parseModelConfigYaml, resolveConfig } from '../../models/unet/index';
import { hostTensor, type HostTensor, type Session } from '../../runtime';
import { coefficientsAt, modelTimestep, type Schedule } from '../../sampling/index';
import { unetCandidates, type UnetFiles } from './fixture-models';
import { relCheck, sessionOf, withCheckpoint } from './model-checks';
import type { GroupContext } from './types';

const f32 = (shape: readonly number[], data: Float32Array): HostTensor => hostTensor('float32', shape, data);

/** The guided UNet graph (x̂0 and the VJP of a cotangent on it) of a unet-group config, at size × size. */
export async function guidedUnetSession(ctx: GroupContext, files: UnetFiles, size: number): Promise<Session> {
  const config = resolveConfig(parseModelConfigYaml(await ctx.dir.readText(files.yaml)));
  const weights = await withCheckpoint(ctx, files.checkpoint, (ck) => loadUnetWeights(ck, config, files.checkpoint));
  return sessionOf(ctx.runtime, buildGuidedUnetGraph(config, weights, { height: size, width: size }));
}

/** The guided UNet at step `index` for input x: a cotangent on pred_xstart → pred_xstart and grad_x. */
export function unetAt(unet: Session, schedule: Schedule, x: Float32Array, index: number): (cotangent: Float32Array) => Promise<Record<string, HostTensor>> {
  const c = coefficientsAt(schedule, index);
  const one = (v: number) => f32([1], Float32Array.of(v));
  const size = Math.round(Math.sqrt(x.length / 3));
  const shape = [1, 3, size, size];
  return (cotangent) => unet.run({
    x: f32(shape, x), t: one(modelTimestep(schedule, index)), sqrt_recip_alphas_cumprod: one(c.sqrtRecipAlphaBar), sqrt_recipm1_alphas_cumprod: one(c.sqrtRecipm1AlphaBar), pred_xstart_cotangent: f32(shape, cotangent),
  });
}

/** A recorded unguided x̂0 at a known step: what tells which UNet a case ran. */
export interface UnetProbe {
  /** The step under a candidate config (its diffusion steps): schedule, respaced index, input x. */
  at(files: UnetFiles): { readonly schedule: Schedule; readonly index: number; readonly x: Float32Array };
  readonly predXstart: Float32Array;
}

/**
 * The UNet a case of `size` × `size` ran: the unet group's unconditional config of that size; where
 * several fit, the one whose x̂0 at the probe is the recorded one (the detail says so).
 */
export async function chooseUnet(ctx: GroupContext, size: number, probe: UnetProbe): Promise<{ files: UnetFiles; detail: string }> {
  const candidates = await unetCandidates(ctx.dir, size);
  if (candidates.length === 1) return { files: candidates[0]!, detail: `config ${candidates[0]!.name}` };
  const errors: number[] = [];
  for (const files of candidates) {
    const session = await guidedUnetSession(ctx, files, size);
    const { schedule, index, x } = probe.at(files);
    const out = await unetAt(session, schedule, x, index)(new Float32Array(x.length));
    errors.push(relCheck('', '', out.pred_xstart!.data as Float32Array, probe.predXstart, 0).maxRel);
    await session.dispose();
  }
  const best = errors.indexOf(Math.min(...errors));
  return { files: candidates[best]!, detail: `config ${candidates[best]!.name}: of ${candidates.map((c) => c.name).join(', ')}, the one whose pred_xstart matches` };
}
