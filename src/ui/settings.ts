import { DEMO_SETTINGS } from '../models/demo';
import { defaultSettings, type GenerationSettings, type ImagePrompt, type RgbaImage } from '../pipeline';

/** A text prompt and its weight (negative weights steer away, spec §4.1). */
export interface PromptEntry {
  readonly text: string;
  readonly weight: number;
}

/** Everything a job needs except the images: what the URL, the PNG metadata and the gallery carry. */
export interface StudioSettings extends Omit<GenerationSettings, 'prompts' | 'imagePrompts' | 'initImage' | 'guideWeights'> {
  readonly prompts: readonly PromptEntry[];
  /** A preview every N steps. */
  readonly previewEvery: number;
}

/** A dropped image: its pixels for the engine and an object URL for the preview. */
export interface InputImage {
  readonly name: string;
  readonly url: string;
  readonly image: RgbaImage;
}

export interface ImagePromptInput extends InputImage {
  readonly weight: number;
}

/** An object without some keys (the pipeline's image fields, the UI's own ones). */
function omit<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Omit<T, K> {
  const out: Partial<T> = { ...value };
  for (const k of keys) delete out[k];
  return out as Omit<T, K>;
}

const samplerDefaults = omit(defaultSettings, ['prompts', 'imagePrompts', 'initImage']);

/** sample.py's defaults (spec §1.2), with one prompt to fill in. */
export const SEED_DEFAULTS: StudioSettings = { ...samplerDefaults, prompts: [{ text: '', weight: 1 }], previewEvery: 5 };

/** The presets the UI offers; each replaces the sampler settings and keeps prompts and seed. */
export const PRESETS = {
  'seed defaults': { ...samplerDefaults, previewEvery: 5 },
  'fast preview': { ...samplerDefaults, ...DEMO_SETTINGS, previewEvery: 2, upscale: 'M' as const },
} as const;

export type PresetName = keyof typeof PRESETS;

/** Upstream's `text:weight` form (parse_prompt, spec §4.1); empty prompts are left out. */
export const promptStrings = (prompts: readonly PromptEntry[]): string[] => prompts.filter((p) => p.text.trim() !== '').map((p) => `${p.text.trim()}:${p.weight}`);

/** What the pipeline receives. */
export function generationSettings(s: StudioSettings, images: { initImage?: InputImage | undefined; imagePrompts: readonly ImagePromptInput[] }): GenerationSettings {
  const sampler = omit(s, ['previewEvery', 'prompts']);
  const imagePrompts: ImagePrompt[] = images.imagePrompts.map((p) => ({ image: p.image, weight: p.weight, label: p.name }));
  return { ...sampler, prompts: promptStrings(s.prompts), imagePrompts, ...(images.initImage ? { initImage: images.initImage.image } : {}) };
}

const isPrompt = (v: unknown): v is PromptEntry => typeof v === 'object' && v !== null && typeof (v as PromptEntry).text === 'string' && Number.isFinite((v as PromptEntry).weight);

/**
 * Settings read back from a URL or a PNG: each known field taken when its type matches the default's,
 * everything else ignored, so a hand-edited or foreign value cannot break the form.
 */
export function parseSettings(value: unknown): StudioSettings | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const given = value as Record<string, unknown>;
  const out: Record<string, unknown> = { ...SEED_DEFAULTS };
  for (const [key, def] of Object.entries(SEED_DEFAULTS)) {
    const v = given[key];
    if (key === 'prompts') {
      if (Array.isArray(v) && v.every(isPrompt)) out.prompts = v.map((p) => ({ text: p.text, weight: p.weight }));
    } else if (typeof v === typeof def && (typeof v !== 'number' || Number.isFinite(v))) out[key] = v;
  }
  if (!['off', 'M', 'L'].includes(out.upscale as string)) out.upscale = SEED_DEFAULTS.upscale;
  return out as unknown as StudioSettings;
}
