import type { LossFn } from '../../models/guidance/index';
import type { Manifest, Uninterpreted } from './types';

/** The parts of guidance_ref.json `settings` the harness reads. */
export interface GuidanceSettings {
  readonly guidance: {
    readonly prompts: readonly string[]; readonly cutn: number; readonly cutn_batches: number;
    readonly clip_guidance_scale: number; readonly tv_scale: number; readonly range_scale: number; readonly saturation_scale: number; readonly scale_multiplier: number;
  };
  readonly condfn?: { readonly sampling: string; readonly cur_t: readonly number[]; readonly image_size: number; readonly clamp_grad?: boolean };
  readonly e2e?: E2eSettings;
  /** Absent in the fixture format so far: then the UNet config's own. */
  readonly diffusion_steps?: number;
}

export interface E2eSettings {
  readonly sampling: string; readonly skip_timesteps: number; readonly cutn: number; readonly cutn_batches: number; readonly eta: number;
  readonly clip_guidance_scale: number; readonly tv_scale: number; readonly range_scale: number; readonly saturation_scale: number; readonly scale_multiplier: number;
  readonly loss_fn: LossFn; readonly clip_denoised?: boolean; readonly skip_augs?: boolean; readonly clamp_grad?: boolean;
  /** The e2e run's own prompts, when they differ from settings.guidance's. */
  readonly prompts?: readonly string[];
  readonly note?: string;
}

const LOSS_FNS: readonly LossFn[] = ['spherical', 'cos_spherical'];

/** A cond_fn body case without a UNet (`s256.*` in the public set): recorded cutouts of `<prefix>.x_in`. */
export interface CutoutCase {
  readonly prefix: string;
  readonly lossFns: readonly LossFn[];
  /** pred_xstart = factor · x_in (`settings.<prefix>_pred_xstart`). */
  readonly predXstartFactor: number;
}

export interface GuidanceLayout {
  readonly cutoutCases: readonly CutoutCase[];
  /** cur_t of every `condfn.t<cur_t>.*` case. */
  readonly condFnTimes: readonly number[];
  readonly e2e: boolean;
  readonly uninterpreted: readonly Uninterpreted[];
}

/** Tensors every case shares. */
const SHARED = new Set(['target_embeds', 'target_tokens', 'weights']);

function cutoutCase(prefix: string, names: readonly string[], settings: Readonly<Record<string, unknown>>, uninterpreted: Uninterpreted[]): CutoutCase | undefined {
  const losses = [...new Set(names.flatMap((n) => /^[^.]+\.([a-z_]+)\.x_in_grad$/.exec(n)?.[1] ?? []))];
  const unknown = losses.filter((l) => !(LOSS_FNS as readonly string[]).includes(l));
  for (const l of unknown) uninterpreted.push({ what: `tensors ${prefix}.${l}.*`, why: `'${l}' is not a loss_fn of the seed (${LOSS_FNS.join(', ')})` });
  const recipe = settings[`${prefix}_pred_xstart`];
  const factor = typeof recipe === 'string' ? Number(/=\s*([\d.]+)\s*\*/.exec(recipe)?.[1] ?? NaN) : NaN;
  if (!Number.isFinite(factor)) {
    uninterpreted.push({ what: `case ${prefix}`, why: `settings.${prefix}_pred_xstart does not say how pred_xstart was made (expected 'pred_xstart = <factor> * ${prefix}.x_in …')` });
    return undefined;
  }
  return { prefix, lossFns: losses.filter((l): l is LossFn => (LOSS_FNS as readonly string[]).includes(l)), predXstartFactor: factor };
}

/** The cases the manifest's tensors hold, checked against `settings`; what fits none is listed. */
export function guidanceLayout(manifest: Manifest): GuidanceLayout {
  const names = Object.keys(manifest.tensors);
  const s = manifest.settings as unknown as GuidanceSettings;
  const uninterpreted: Uninterpreted[] = [];
  const roots = new Set(names.map((n) => n.split('.')[0]!));
  const cutoutCases = [...roots]
    .filter((r) => names.includes(`${r}.x_in`) && names.includes(`${r}.cutout_params`))
    .flatMap((r) => cutoutCase(r, names.filter((n) => n.startsWith(`${r}.`)), manifest.settings, uninterpreted) ?? []);
  const condFnTimes = names.flatMap((n) => /^condfn\.t(\d+)\.x$/.exec(n)?.[1] ?? []).map(Number);
  const listed = s.condfn?.cur_t ?? [];
  if (condFnTimes.length > 0 && !s.condfn) uninterpreted.push({ what: 'tensors condfn.t*', why: 'settings.condfn (sampling, image_size) is missing' });
  if (listed.length !== condFnTimes.length || listed.some((t) => !condFnTimes.includes(t))) {
    uninterpreted.push({ what: 'settings.condfn.cur_t', why: `lists [${listed.join(', ')}], the tensors hold condfn.t[${condFnTimes.join(', ')}]` });
  }
  const e2e = names.includes('e2e.x');
  if (e2e && !s.e2e) uninterpreted.push({ what: 'tensors e2e.*', why: 'settings.e2e (the sample() options) is missing' });
  const known = new Set([...SHARED, ...cutoutCases.map((c) => c.prefix), 'condfn', 'e2e']);
  for (const root of roots) if (!known.has(root)) uninterpreted.push({ what: `tensors ${root}*`, why: 'not a case this harness knows (cutout case <p>.x_in + <p>.cutout_params, condfn.t<t>.*, e2e.*)' });
  return { cutoutCases, condFnTimes, e2e: e2e && s.e2e !== undefined, uninterpreted };
}
