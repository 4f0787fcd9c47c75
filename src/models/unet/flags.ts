import { EngineError } from '../../errors';

/** A configuration value as Python holds it after yaml.safe_load or argparse. */
export type PyValue = string | number | boolean | null;

/** `create_model_and_diffusion` keyword arguments, upstream names (snake_case) and Python values. */
export type UnetFlags = Readonly<Record<string, PyValue>>;

/**
 * The fork's `model_and_diffusion_defaults()` (seed-spec §11.1), which clip-diffusion-art updates with
 * the yaml. `conv_resample` is not one of them (`create_model` always passes True); it is accepted as
 * our extension because UNetModel has it. `use_neighborhood_attention` exists only in the newer fork
 * and must stay False.
 */
export const DEFAULT_FLAGS: UnetFlags = {
  image_size: 64,
  num_channels: 128,
  num_res_blocks: 2,
  num_heads: 4,
  num_heads_upsample: -1,
  num_head_channels: -1,
  attention_resolutions: '16,8',
  channel_mult: '',
  dropout: 0.0,
  class_cond: false,
  use_checkpoint: false,
  use_scale_shift_norm: true,
  resblock_updown: false,
  use_fp16: false,
  use_new_attention_order: false,
  use_neighborhood_attention: false,
  conv_resample: true,
  learn_sigma: false,
  diffusion_steps: 1000,
  noise_schedule: 'linear',
  timestep_respacing: '',
  use_kl: false,
  predict_xstart: false,
  rescale_timesteps: false,
  rescale_learned_sigmas: false,
};

/** guided-diffusion's `str2bool`, which `add_dict_to_argparser` uses for every boolean default. */
function str2bool(key: string, v: string): boolean {
  const s = v.toLowerCase();
  if (['yes', 'true', 't', 'y', '1'].includes(s)) return true;
  if (['no', 'false', 'f', 'n', '0'].includes(s)) return false;
  throw new EngineError(`--${key}: boolean value expected, got '${v}'`);
}

/** Parses one flag value with the type of its default, as `add_dict_to_argparser` does (`type(v)`). */
function parseFlag(key: string, v: string): PyValue {
  const def = DEFAULT_FLAGS[key];
  if (typeof def === 'boolean') return str2bool(key, v);
  if (typeof def === 'number') {
    const n = Number(v.trim());
    const integral = Number.isInteger(def) && key !== 'dropout';
    if (v.trim() === '' || !Number.isFinite(n) || (integral && !Number.isInteger(n))) throw new EngineError(`--${key}: expected ${integral ? 'an integer' : 'a number'}, got '${v}'`);
    return n;
  }
  return v;
}

/**
 * Command-line style flags (`--num_channels 128 --use_fp16 True`, or `--key=value`), as the
 * guided-diffusion scripts accept them. Arguments that are not flags of DEFAULT_FLAGS are returned in
 * `rest`, in order, for the caller's own options.
 */
export function flagsFromArgs(args: readonly string[]): { flags: Record<string, PyValue>; rest: string[] } {
  const flags: Record<string, PyValue> = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [key, inline] = arg.startsWith('--') ? (arg.slice(2).split(/=(.*)/s) as [string, string | undefined]) : ['', undefined];
    if (!Object.hasOwn(DEFAULT_FLAGS, key)) {
      rest.push(arg);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw new EngineError(`--${key}: missing value`);
    flags[key] = parseFlag(key, value);
  }
  return { flags, rest };
}
