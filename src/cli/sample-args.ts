import { SettingsError } from '../errors';
import { DEMO_CLIP_NAMES } from '../models/demo/index';
import { defaultSettings, type GenerationSettings } from '../pipeline/index';
import { parseBackendArgs } from './backend-args';
import type { BackendOptions } from '../runtime/node';

/** sample.py's --sampling choices (spec §1.1); ddim150 is listed there but impossible with 1000 steps and is refused by the schedule. */
export const SAMPLING_CHOICES = ['25', '50', '100', '150', '250', '500', '1000', 'ddim25', 'ddim50', 'ddim100', 'ddim150', 'ddim250', 'ddim500', 'ddim1000'];
export const CLIP_CHOICES = ['RN50', 'RN101', 'RN50x4', 'RN50x16', 'RN50x64', 'ViT-B/32', 'ViT-B/16', 'ViT-L/14'];

/** A CLIP model that guides, by name, with the weight on its term (`--clip_model ViT-B/16,RN50:0.5`). */
export interface GuideArg {
  readonly name: string;
  readonly weight: number;
}

export interface SampleFiles {
  readonly checkpoint?: string;
  readonly modelConfig?: string;
  /** One or more (beyond the seed, which takes one); with --demo, the demo pack's names. */
  readonly clipModels: readonly GuideArg[];
  /** One file per --clip_model entry, in the same order. */
  readonly clipCheckpoints: readonly string[];
  readonly clipVocab?: string;
  readonly initImage?: string;
  /** `path[:weight]` as given. */
  readonly images: readonly string[];
  readonly srModelPath?: string;
  readonly largeSr: boolean;
  /** torchvision's vgg16-397923af.pth and LPIPS's weights/v0.1/vgg.pth: the init image's LPIPS term. */
  readonly lpipsVgg?: string;
  readonly lpipsLin?: string;
}

export interface SampleArgs {
  /** Settings without the images (read later); upscale follows --sr_model_path / --large_sr. */
  readonly settings: GenerationSettings;
  readonly files: SampleFiles;
  readonly outputDir: string;
  readonly saveSteps: boolean;
  readonly demo: boolean;
  /** --backend, --threads (backend-args.ts: shared by every command that runs models). */
  readonly backend: BackendOptions;
  readonly cacheDir: string;
  readonly maxCutoutsPerRun: number;
  /** Keep every graph's session alive (fast for small models); by default real models hold one at a time (wasm heap). */
  readonly keepSessions: boolean;
}

const BOOLEAN = new Set(['clip_denoised', 'skip_augs', 'disable_grad_clamp', 'large_sr', 'save_steps', 'demo', 'randomize_class_disable', 'keep_sessions']);
const VALUED = new Set([
  'checkpoint', 'model_config', 'sampling', 'diffusion_steps', 'skip_timesteps', 'eta', 'clip_model', 'clip_checkpoint', 'clip_vocab', 'cutn', 'cutn_batches',
  'init_image', 'loss_fn', 'clip_guidance_scale', 'tv_scale', 'range_scale', 'saturation_scale', 'init_scale', 'scale_multiplier', 'sr_model_path',
  'num_samples', 'batch_size', 'seed', 'output_dir', 'cache_dir', 'max_cutouts_per_run', 'lpips_vgg', 'lpips_lin',
]);

interface Raw {
  readonly prompts: string[];
  readonly images: string[];
  readonly values: Map<string, string>;
  readonly flags: Set<string>;
}

/** argparse-like: `--name value`, `--name=value`, flags, `--images` taking values up to the next option. */
function tokenize(args: readonly string[]): Raw {
  const raw: Raw = { prompts: [], images: [], values: new Map(), flags: new Set() };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      raw.prompts.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split(/=(.*)/s) as [string, string | undefined];
    if (name === 'images') {
      while (i + 1 < args.length && !args[i + 1]!.startsWith('--')) raw.images.push(args[++i]!);
    } else if (BOOLEAN.has(name)) raw.flags.add(name);
    else if (VALUED.has(name)) {
      const v = inline ?? args[++i];
      if (v === undefined) throw new SettingsError(`--${name} needs a value`);
      raw.values.set(name, v);
    } else throw new SettingsError(`sample: unknown option --${name} (see --help)`);
  }
  return raw;
}

function numberOf(raw: Raw, name: string, fallback: number, integer: boolean): number {
  const v = raw.values.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new SettingsError(`--${name}: expected ${integer ? 'an integer' : 'a number'}, got '${v}'`);
  return n;
}

function choice(raw: Raw, name: string, choices: readonly string[], fallback: string): string {
  const v = raw.values.get(name) ?? fallback;
  if (!choices.includes(v)) throw new SettingsError(`--${name}: '${v}' is not one of ${choices.join(', ')}`);
  return v;
}

/**
 * `--clip_model name[:weight],…`: each name one we can build (the demo pack's with --demo), each
 * weight a finite number (default 1). Without the option: ViT-B/16, or the demo's ViT.
 */
function guidesOf(raw: Raw): GuideArg[] {
  const demo = raw.flags.has('demo');
  const known: readonly string[] = demo ? DEMO_CLIP_NAMES : CLIP_CHOICES;
  const given = raw.values.get('clip_model') ?? (demo ? DEMO_CLIP_NAMES[0]! : 'ViT-B/16');
  return given.split(',').map((entry) => {
    const match = /^(.*?)(?::([^:/]*))?$/.exec(entry.trim())!;
    const [name, weightText] = [match[1]!.trim(), match[2]];
    if (!known.includes(name)) throw new SettingsError(`--clip_model: '${name}' is not a CLIP model we have${demo ? ' in the demo pack' : ''}; the known ones are ${known.join(', ')}`);
    const weight = weightText === undefined ? 1 : Number(weightText);
    if (weightText !== undefined && (weightText.trim() === '' || !Number.isFinite(weight))) throw new SettingsError(`--clip_model: the weight of ${name} must be a number, got '${weightText}'`);
    return { name, weight };
  });
}

/** --clip_checkpoint: one file per guide, comma-separated in --clip_model's order. */
function clipCheckpointsOf(raw: Raw, guides: readonly GuideArg[]): string[] {
  const given = raw.values.get('clip_checkpoint');
  if (given === undefined) return [];
  const files = given.split(',').map((f) => f.trim());
  if (files.length !== guides.length) throw new SettingsError(`--clip_checkpoint names ${files.length} file${files.length === 1 ? '' : 's'} for ${guides.length} --clip_model entr${guides.length === 1 ? 'y' : 'ies'} (${guides.map((g) => g.name).join(', ')}): give one per model, comma-separated`);
  return files;
}

function settingsOf(raw: Raw): GenerationSettings {
  const d = defaultSettings;
  const int = (name: string, fallback: number) => numberOf(raw, name, fallback, true);
  const num = (name: string, fallback: number) => numberOf(raw, name, fallback, false);
  const upscale = raw.values.has('sr_model_path') || raw.flags.has('demo') && raw.flags.has('large_sr') ? (raw.flags.has('large_sr') ? 'L' : 'M') : 'off';
  return {
    ...d, prompts: raw.prompts, sampling: choice(raw, 'sampling', SAMPLING_CHOICES, d.sampling), diffusionSteps: int('diffusion_steps', d.diffusionSteps),
    skipTimesteps: int('skip_timesteps', d.skipTimesteps), clipDenoised: raw.flags.has('clip_denoised'), eta: num('eta', d.eta), cutn: int('cutn', d.cutn),
    cutnBatches: int('cutn_batches', d.cutnBatches), skipAugs: raw.flags.has('skip_augs'), lossFn: choice(raw, 'loss_fn', ['spherical', 'cos_spherical'], d.lossFn) as GenerationSettings['lossFn'],
    clipGuidanceScale: num('clip_guidance_scale', d.clipGuidanceScale), tvScale: num('tv_scale', d.tvScale), rangeScale: num('range_scale', d.rangeScale),
    saturationScale: num('saturation_scale', d.saturationScale), initScale: num('init_scale', d.initScale), scaleMultiplier: num('scale_multiplier', d.scaleMultiplier),
    disableGradClamp: raw.flags.has('disable_grad_clamp'), numSamples: int('num_samples', d.numSamples), batchSize: int('batch_size', d.batchSize), seed: int('seed', d.seed), upscale,
  };
}

const optional = <K extends string>(key: K, v: string | undefined): Partial<Record<K, string>> => (v === undefined ? {} : ({ [key]: v } as Record<K, string>));

/** The command line of `sample` (sample.py's flags and defaults, plus ours: --clip_checkpoint, --clip_vocab, --save_steps, --demo, …). */
export function parseSampleArgs(args: readonly string[]): SampleArgs {
  const { options: backend, rest } = parseBackendArgs(args);
  const raw = tokenize(rest);
  const v = (name: string) => raw.values.get(name);
  const clipModels = guidesOf(raw);
  const files: SampleFiles = {
    ...optional('checkpoint', v('checkpoint')), ...optional('modelConfig', v('model_config')), clipModels,
    clipCheckpoints: clipCheckpointsOf(raw, clipModels), ...optional('clipVocab', v('clip_vocab')), ...optional('initImage', v('init_image')), images: raw.images,
    ...optional('srModelPath', v('sr_model_path')), largeSr: raw.flags.has('large_sr'),
    ...optional('lpipsVgg', v('lpips_vgg')), ...optional('lpipsLin', v('lpips_lin')),
  };
  if ((files.lpipsVgg === undefined) !== (files.lpipsLin === undefined)) throw new SettingsError('--lpips_vgg and --lpips_lin go together: LPIPS-VGG is torchvision\'s VGG16 file and LPIPS\'s linear weights');
  return {
    settings: { ...settingsOf(raw), guideWeights: clipModels.map((g) => g.weight) }, files, outputDir: v('output_dir') ?? 'output_dir', saveSteps: raw.flags.has('save_steps'), demo: raw.flags.has('demo'),
    backend, cacheDir: v('cache_dir') ?? '.cache/graphs', maxCutoutsPerRun: numberOf(raw, 'max_cutouts_per_run', 10, true),
    keepSessions: raw.flags.has('keep_sessions') || raw.flags.has('demo'),
  };
}
