import type { StudioSettings } from './settings';

/** Words of a PNG name: at most five of the first prompt, ASCII letters and digits (accents dropped), 40 characters at most. */
export function promptSlug(settings: Pick<StudioSettings, 'prompts'>): string {
  const text = settings.prompts.find((p) => p.text.trim() !== '')?.text ?? '';
  const ascii = text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
  const words = ascii.split(/[^a-z0-9]+/).filter(Boolean).slice(0, 5);
  return words.join('-').slice(0, 40).replace(/-+$/, '');
}

/**
 * `clip-diffusion-<first words of the prompt>-<seed>[-<n>][-x4].png`: the name says what and which
 * seed, and the images of one job (`count` > 1) stay apart.
 */
export function pngFileName(settings: Pick<StudioSettings, 'prompts' | 'seed'>, o: { readonly index?: number; readonly count?: number; readonly upscaled?: boolean } = {}): string {
  const slug = promptSlug(settings);
  const nth = (o.count ?? 1) > 1 ? `-${(o.index ?? 0) + 1}` : '';
  return `clip-diffusion-${slug ? `${slug}-` : ''}${settings.seed}${nth}${o.upscaled ? '-x4' : ''}.png`;
}
