import { readChunks, readText } from '../png';
import type { Backend } from '../runtime';
import { spaceTimesteps } from '../sampling/index';
import type { GuideChoice, LabelledGuide } from '../../workers/job-types';
import { parseSettings, type StudioSettings } from './settings';

/** Keyword of our JSON settings chunk; dropping the PNG back on the page restores them. */
export const SETTINGS_KEYWORD = 'clip-diffusion-web';

export interface ImageFacts {
  readonly width: number;
  readonly height: number;
  readonly model: string;
  readonly backend: Backend;
  /** 'M' or 'L' when this is the SwinIR ×4 image. */
  readonly upscaledBy?: 'M' | 'L';
  /** The CLIP models that guided, with their weights. */
  readonly guides?: readonly LabelledGuide[];
}

/** What a PNG made here restores: its settings, and the CLIP guides when it names them. */
export interface PngSettings {
  readonly settings: StudioSettings;
  readonly guides?: readonly GuideChoice[];
}

const guideText = (g: LabelledGuide): string => (g.weight === 1 ? g.label : `${g.label} x${g.weight}`);

const num = (v: number): string => String(v);

/** A1111's second line: `Key: value` pairs, comma-separated; values with commas are quoted. */
function parameterLine(s: StudioSettings, facts: ImageFacts): string {
  const pairs: [string, string][] = [
    ['Steps', num(spaceTimesteps(s.diffusionSteps, s.sampling).length)], ['Sampler', s.sampling], ['Skip steps', num(s.skipTimesteps)],
    ['Seed', num(s.seed)], ['Size', `${facts.width}x${facts.height}`], ['Model', facts.model],
    ...(facts.guides ? [['CLIP', facts.guides.map(guideText).join(' + ')] as [string, string]] : []), ['CLIP guidance scale', num(s.clipGuidanceScale)],
    ['TV scale', num(s.tvScale)], ['Range scale', num(s.rangeScale)], ['Saturation scale', num(s.saturationScale)], ['Cutn', num(s.cutn)], ['Cutn batches', num(s.cutnBatches)],
    ['Eta', num(s.eta)], ['Loss', s.lossFn], ['Upscale', facts.upscaledBy ? `SwinIR-${facts.upscaledBy} x4` : 'off'], ['Backend', facts.backend.ep],
  ];
  return pairs.map(([k, v]) => `${k}: ${/[,:]/.test(v) ? JSON.stringify(v) : v}`).join(', ');
}

/**
 * The text entries a generated PNG carries: A1111's `parameters` layout (prompt, `Negative prompt:`
 * line, then `Key: value` pairs), which other tools read, and our own settings as JSON.
 */
export function pngText(settings: StudioSettings, facts: ImageFacts): Record<string, string> {
  const used = settings.prompts.filter((p) => p.text.trim() !== '');
  const positive = used.filter((p) => p.weight >= 0).map((p) => (p.weight === 1 ? p.text : `${p.text}:${p.weight}`)).join(' | ');
  const negative = used.filter((p) => p.weight < 0).map((p) => `${p.text}:${p.weight}`).join(' | ');
  const parameters = `${positive}\n${negative ? `Negative prompt: ${negative}\n` : ''}${parameterLine(settings, facts)}`;
  const guides = facts.guides?.map((g) => ({ id: g.id, weight: g.weight }));
  const json = JSON.stringify({ version: 3, settings, ...(guides && { guides }), width: facts.width, height: facts.height, model: facts.model, backend: facts.backend.ep, upscaledBy: facts.upscaledBy ?? null });
  return { parameters, [SETTINGS_KEYWORD]: json };
}

const isGuide = (v: unknown): v is GuideChoice => typeof v === 'object' && v !== null && typeof (v as GuideChoice).id === 'string' && Number.isFinite((v as GuideChoice).weight);

/** The settings (and guides) a PNG made here carries, or undefined for any other PNG. */
export function settingsFromPng(bytes: Uint8Array): PngSettings | undefined {
  const json = readText(readChunks(bytes))[SETTINGS_KEYWORD];
  if (json === undefined) return undefined;
  try {
    const given = JSON.parse(json) as { settings?: unknown; guides?: unknown };
    const settings = parseSettings(given.settings);
    if (!settings) return undefined;
    const guides = Array.isArray(given.guides) && given.guides.length > 0 && given.guides.every(isGuide) ? given.guides.map((g) => ({ id: g.id, weight: g.weight })) : undefined;
    return { settings, ...(guides && { guides }) };
  } catch {
    return undefined;
  }
}
