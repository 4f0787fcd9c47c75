import { SettingsError } from '../errors';
import { flagsFromArgs, type UnetFlags } from '../models/unet/index';
import type { TrainOptions } from '../training/index';
import type { BackendOptions } from '../runtime/node';
import { parseBackendArgs } from './backend-args';

/**
 * `cli train`'s command line: train.py's create_argparser (seed-spec §12) with argparse's typing
 * (each value parsed as its default's type), every model and diffusion flag of
 * model_and_diffusion_defaults, and ours: --demo (start from the demo pack's UNet), --seed (the
 * draws upstream leaves unseeded), --backend/--threads.
 */

export interface TrainArgs {
  readonly dataDir: string;
  readonly resumeCheckpoint: string;
  readonly logDir: string;
  /** The model and diffusion flags given (the command lays them over the defaults, or the demo UNet's). */
  readonly flags: UnetFlags;
  readonly options: TrainOptions;
  readonly demo: boolean;
  readonly backend: BackendOptions;
}

/** train.py's own defaults (create_argparser), by upstream name. */
const TRAIN_DEFAULTS = {
  data_dir: '', schedule_sampler: 'uniform', lr: 1e-4, weight_decay: 0.0, lr_anneal_steps: 0, batch_size: 1, microbatch: -1, ema_rate: '0.9999',
  log_interval: 10, save_interval: 10000, resume_checkpoint: '', fp16_scale_growth: 1e-3, log_dir: 'outputs', seed: 0,
  wandb_project: '', wandb_entity: '', wandb_name: '',
} as const;

const INTEGERS = new Set(['lr_anneal_steps', 'batch_size', 'microbatch', 'log_interval', 'save_interval', 'seed']);

export const TRAIN_USAGE = `npm run cli -- train --data_dir DIR [--resume_checkpoint F.pt | --demo] [train.py options] [model flags] [--seed N] [--backend native|wasm] [--threads N]
  train.py options: --lr 1e-4 --weight_decay 0.0 --lr_anneal_steps 0 (0: until Ctrl-C) --batch_size 1 --microbatch -1 --ema_rate 0.9999 (comma list)
    --log_interval 10 --save_interval 10000 --log_dir outputs --schedule_sampler uniform
  model flags: guided-diffusion's (--image_size 256 --num_channels 128 --num_res_blocks 2 --learn_sigma True ...), as train.py takes them`;

function parseNumber(key: string, v: string): number {
  const n = Number(v.trim());
  if (v.trim() === '' || !Number.isFinite(n) || (INTEGERS.has(key) && !Number.isInteger(n))) throw new SettingsError(`--${key}: expected ${INTEGERS.has(key) ? 'an integer' : 'a number'}, got '${v}'`);
  return n;
}

/** train.py's `ema_rate` as TrainLoop reads it: a comma list of floats. */
function emaRates(text: string): number[] {
  return text.split(',').map((r) => {
    const rate = Number(r.trim());
    if (r.trim() === '' || !(rate >= 0 && rate <= 1)) throw new SettingsError(`--ema_rate: '${r}' is not a rate in [0, 1]`);
    return rate;
  });
}

export function parseTrainArgs(args: readonly string[]): TrainArgs {
  const { options: backend, rest: afterBackend } = parseBackendArgs(args);
  const { flags, rest } = flagsFromArgs(afterBackend);
  const values: Record<string, string | number> = { ...TRAIN_DEFAULTS };
  let demo = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--demo') {
      demo = true;
      continue;
    }
    const [key, inline] = arg.startsWith('--') ? (arg.slice(2).split(/=(.*)/s) as [string, string | undefined]) : ['', undefined];
    if (!Object.hasOwn(TRAIN_DEFAULTS, key)) throw new SettingsError(`unknown argument '${arg}'`);
    const value = inline ?? rest[++i];
    if (value === undefined) throw new SettingsError(`--${key}: missing value`);
    values[key] = typeof TRAIN_DEFAULTS[key as keyof typeof TRAIN_DEFAULTS] === 'number' ? parseNumber(key, value) : value;
  }
  if (!values.data_dir) throw new SettingsError('--data_dir is required: the folder of training images');
  if (values.schedule_sampler !== 'uniform') throw new SettingsError(`--schedule_sampler: only 'uniform' is implemented (train.py's default), not '${values.schedule_sampler}'`);
  if (demo && values.resume_checkpoint) throw new SettingsError('--demo starts from the demo UNet: leave out --resume_checkpoint, or --demo');
  const positive = ['batch_size', 'log_interval', 'save_interval'].find((k) => !((values[k] as number) >= 1));
  if (positive) throw new SettingsError(`--${positive} must be at least 1`);
  const n = (k: string) => values[k] as number;
  return {
    dataDir: values.data_dir as string,
    resumeCheckpoint: values.resume_checkpoint as string,
    logDir: values.log_dir as string,
    flags,
    options: {
      lr: n('lr'), weightDecay: n('weight_decay'), lrAnnealSteps: n('lr_anneal_steps'), batchSize: n('batch_size'), microbatch: n('microbatch'),
      emaRates: emaRates(values.ema_rate as string), logInterval: n('log_interval'), saveInterval: n('save_interval'), seed: n('seed'),
    },
    demo,
    backend,
  };
}
