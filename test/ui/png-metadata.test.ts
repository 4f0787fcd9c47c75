import { describe, expect, it } from 'vitest';
import { decodePng, encodePng } from '../../src/png';
import { pngText, settingsFromPng } from '../../src/ui/png-metadata';
import { parseSettings, SEED_DEFAULTS, generationSettings } from '../../src/ui/settings';
import { settingsFromUrl, urlWithSettings } from '../../src/ui/url-settings';

const settings = { ...SEED_DEFAULTS, prompts: [{ text: 'a lighthouse, oil', weight: 2 }, { text: 'blurry', weight: -1 }], seed: 12, sampling: 'ddim50' };
const facts = { width: 256, height: 256, model: 'demo', backend: { ep: 'wasm' as const, threads: 2 } };

describe('studio PNG metadata and settings', () => {
  it('writes A1111 parameters with a negative prompt line and reads our settings back', () => {
    const text = pngText(settings, facts);
    expect(text.parameters).toBe(
      'a lighthouse, oil:2\nNegative prompt: blurry:-1\nSteps: 50, Sampler: ddim50, Skip steps: 5, Seed: 12, Size: 256x256, Model: demo, CLIP guidance scale: 5000, ' +
        'TV scale: 100, Range scale: 150, Saturation scale: 0, Cutn: 30, Cutn batches: 4, Eta: 0, Loss: spherical, Upscale: off, Backend: wasm',
    );
    const png = encodePng({ width: 1, height: 1, data: new Uint8Array(4) }, text);
    expect(decodePng(png).text.parameters).toBe(text.parameters);
    expect(settingsFromPng(png)).toEqual(settings);
    expect(settingsFromPng(encodePng({ width: 1, height: 1, data: new Uint8Array(4) }, { parameters: 'x' }))).toBeUndefined();
  });

  it('keeps only known fields of the right type from foreign settings', () => {
    const parsed = parseSettings({ seed: 'x', cutn: 8, eta: Number.NaN, upscale: 'XL', prompts: [{ text: 'a', weight: 'heavy' }], evil: 1 });
    expect(parsed).toEqual({ ...SEED_DEFAULTS, cutn: 8 });
    expect(parseSettings(null)).toBeUndefined();
  });

  it('round-trips settings through the URL fragment, keeping the query', () => {
    const url = urlWithSettings('http://127.0.0.1:4173/?pack=http%3A%2F%2Fh%2Fm.json#old', settings);
    expect(url.startsWith('http://127.0.0.1:4173/?pack=http%3A%2F%2Fh%2Fm.json#settings=')).toBe(true);
    expect(settingsFromUrl(new URL(url).hash)).toEqual(settings);
    expect(settingsFromUrl('#settings=%7Bnot-json')).toBeUndefined();
  });

  it('gives the pipeline upstream prompt strings and no UI-only fields', () => {
    const g = generationSettings(settings, { imagePrompts: [] });
    expect(g.prompts).toEqual(['a lighthouse, oil:2', 'blurry:-1']);
    expect('previewEvery' in g).toBe(false);
    expect(g.imagePrompts).toEqual([]);
  });
});
