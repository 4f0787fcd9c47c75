import type { SamplingMethod } from '../../sampling/index';
import type { Manifest, Uninterpreted } from './types';

/**
 * The diffusion group's recorded sampler runs, read from the manifest's tensor names: a run is the
 * set of tensors `<kind>.<respacing>.<quantity>`, and its kind (the generator's run names, in the
 * fixture README) says which sampler options produced it. Nothing about a particular fixture set —
 * respacings, step counts, η, skip counts — is known here; all of it comes from the names, the
 * shapes and `settings`.
 */
export interface DiffusionRun {
  /** The tensor prefix, `<kind>.<respacing>`. */
  readonly name: string;
  readonly respacing: string;
  readonly method: SamplingMethod;
  readonly eta: number;
  readonly skip: number;
  /** Sampled with the group's analytic cond_fn. */
  readonly guided: boolean;
  /** The first dimension of `<name>.x`: one row per step. */
  readonly steps: number;
  /** Which per-run quantities the fixture recorded (`x`, `pred_xstart`, `noise`, …). */
  readonly recorded: ReadonlySet<string>;
}

/** Quantities a run may record, as the fixture README lists them. */
const RUN_QUANTITIES = ['t_index', 'model_t', 'x', 'pred_xstart', 'noise', 'cond_t', 'cond_grad', 'x_start'] as const;

/** Tensors every run shares (not part of one run). */
const SHARED = new Set(['x_T', 'init_image', 'cond_target']);

interface Kind {
  readonly pattern: RegExp;
  readonly method: SamplingMethod;
  readonly guided: boolean;
  readonly eta?: (m: RegExpExecArray) => number;
  readonly skip?: (m: RegExpExecArray) => number;
}

/** The generator's run kinds: DDIM with η, DDIM skipping K steps from an init image, DDIM and DDPM with the analytic cond_fn, plain DDPM. */
const KINDS: readonly Kind[] = [
  { pattern: /^ddim_eta(\d+(?:\.\d+)?)$/, method: 'ddim', guided: false, eta: (m) => Number(m[1]) },
  { pattern: /^ddim_skip(\d+)$/, method: 'ddim', guided: false, skip: (m) => Number(m[1]) },
  { pattern: /^ddim_cond$/, method: 'ddim', guided: true },
  { pattern: /^p_sample$/, method: 'ddpm', guided: false },
  { pattern: /^p_cond$/, method: 'ddpm', guided: true },
];

export interface DiffusionLayout {
  readonly runs: readonly DiffusionRun[];
  /** `<run>.detail` prefixes (p_mean_variance outputs of one step), by run name. */
  readonly details: ReadonlyMap<string, string>;
  readonly uninterpreted: readonly Uninterpreted[];
}

/** `<run>.<quantity>` → [run, quantity], for the quantities a run records. */
function splitRunTensor(name: string): [string, string] | undefined {
  const dot = name.lastIndexOf('.');
  const quantity = name.slice(dot + 1);
  return dot > 0 && (RUN_QUANTITIES as readonly string[]).includes(quantity) ? [name.slice(0, dot), quantity] : undefined;
}

function interpretRun(name: string, recorded: Set<string>, tensors: Manifest['tensors']): DiffusionRun | Uninterpreted {
  const dot = name.lastIndexOf('.');
  const [kindName, respacing] = [name.slice(0, dot), name.slice(dot + 1)];
  const kind = KINDS.map((k) => [k, k.pattern.exec(kindName)] as const).find(([, m]) => m);
  if (dot <= 0 || !kind) return { what: `run ${name}`, why: `'${kindName}' is not a run kind this harness knows (ddim_eta<η>, ddim_skip<K>, ddim_cond, p_sample, p_cond)` };
  const x = tensors[`${name}.x`];
  if (!x || x.shape.length < 2) return { what: `run ${name}`, why: `${name}.x [steps, ...] is not listed, so the run's step count is unknown` };
  const [k, m] = kind as readonly [Kind, RegExpExecArray];
  return { name, respacing, method: k.method, eta: k.eta?.(m) ?? 0, skip: k.skip?.(m) ?? 0, guided: k.guided, steps: x.shape[0]!, recorded };
}

/** Every run and detail prefix the manifest's tensors describe, and every tensor that fits none. */
export function diffusionLayout(manifest: Manifest): DiffusionLayout {
  const byRun = new Map<string, Set<string>>();
  const details = new Map<string, string>();
  const uninterpreted: Uninterpreted[] = [];
  for (const name of Object.keys(manifest.tensors)) {
    if (SHARED.has(name) || name.startsWith('sched.')) continue;
    const detail = /^(.+)\.detail\.[^.]+$/.exec(name);
    if (detail) {
      details.set(detail[1]!, `${detail[1]}.detail`);
      continue;
    }
    const split = splitRunTensor(name);
    if (!split) {
      uninterpreted.push({ what: `tensor ${name}`, why: 'neither a schedule array, a shared input nor a per-run quantity' });
      continue;
    }
    byRun.set(split[0], (byRun.get(split[0]) ?? new Set()).add(split[1]));
  }
  const runs: DiffusionRun[] = [];
  for (const [name, recorded] of byRun) {
    const run = interpretRun(name, recorded, manifest.tensors);
    if ('why' in run) uninterpreted.push(run);
    else runs.push(run);
  }
  for (const run of details.keys()) if (!byRun.has(run)) uninterpreted.push({ what: `tensors ${run}.detail.*`, why: `no run ${run} records the steps they detail` });
  return { runs, details, uninterpreted };
}

/** Another run of `of`'s respacing that started from x_T (no skip) and passes `test`. */
export const partnerRun = (runs: readonly DiffusionRun[], of: DiffusionRun, test: (r: DiffusionRun) => boolean): DiffusionRun | undefined =>
  runs.find((r) => r !== of && r.respacing === of.respacing && r.skip === 0 && test(r));
