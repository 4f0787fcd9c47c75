import { describe, expect, it } from 'vitest';
import { decodePng, encodePng } from '../../src/png';
import type { ModelEntry } from '../../src/cache';
import { pngText, settingsFromPng, SETTINGS_KEYWORD } from '../../src/ui/png-metadata';
import { restoreGuides } from '../../src/ui/restore';
import type { CachedChoice } from '../../workers/job-types';
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
    expect(settingsFromPng(png)).toEqual({ settings });
    expect(settingsFromPng(encodePng({ width: 1, height: 1, data: new Uint8Array(4) }, { parameters: 'x' }))).toBeUndefined();
  });

  it('names the CLIP guides and their weights, and gives them back for the restore', () => {
    const guides = [{ id: 'clip-vit-b-16', label: 'CLIP ViT-B/16', weight: 1 }, { id: 'clip-rn50', label: 'CLIP RN50', weight: 0.5 }];
    const text = pngText(settings, { ...facts, guides });
    expect(text.parameters).toContain('Model: demo, CLIP: CLIP ViT-B/16 + CLIP RN50 x0.5, CLIP guidance scale: 5000');
    const png = encodePng({ width: 1, height: 1, data: new Uint8Array(4) }, text);
    expect(settingsFromPng(png)).toEqual({ settings, guides: [{ id: 'clip-vit-b-16', weight: 1 }, { id: 'clip-rn50', weight: 0.5 }] });
    const foreign = encodePng({ width: 1, height: 1, data: new Uint8Array(4) }, { [SETTINGS_KEYWORD]: JSON.stringify({ settings, guides: [{ id: 'x', weight: 'heavy' }] }) });
    expect(settingsFromPng(foreign)).toEqual({ settings });
  });

  it('restores the guides where this page can run them, and says which are missing otherwise', () => {
    const entry = (id: string, kind: 'clip' | 'diffusion', format: 'checkpoint' | 'onnx' = 'checkpoint') => ({ id, kind, format, label: id, files: [] }) as unknown as ModelEntry;
    const verified = [entry('unet', 'diffusion'), entry('vit', 'clip'), entry('rn50', 'clip'), entry('pack-unet', 'diffusion', 'onnx'), entry('pack-clip', 'clip', 'onnx')];
    const cached: CachedChoice = { source: 'cache', diffusion: 'unet', clips: [{ id: 'vit', weight: 1 }] };
    const two = [{ id: 'vit', weight: 1 }, { id: 'rn50', weight: 0.5 }];
    expect(restoreGuides(cached, two, verified)).toEqual({ choice: { ...cached, clips: two } });
    expect(restoreGuides(cached, [{ id: 'demo-rn', weight: 2 }], verified)).toEqual({ choice: { source: 'demo', clips: [{ id: 'demo-rn', weight: 2 }] } });
    expect(restoreGuides(cached, [{ id: 'vit', weight: 1 }, { id: 'rn101', weight: 1 }], verified)).toEqual({ choice: cached, missing: ['rn101'] });
    expect(restoreGuides({ source: 'demo' }, two, verified)).toEqual({ choice: { source: 'demo' }, missing: ['vit', 'rn50'] });
    // A pack's converted CLIP guides alone.
    const pack: CachedChoice = { source: 'cache', diffusion: 'pack-unet', clips: [{ id: 'pack-clip', weight: 1 }] };
    expect(restoreGuides(pack, [{ id: 'pack-clip', weight: 3 }], verified)).toEqual({ choice: { ...pack, clips: [{ id: 'pack-clip', weight: 3 }] } });
    expect(restoreGuides(pack, two, verified).missing).toEqual(['vit', 'rn50']);
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
