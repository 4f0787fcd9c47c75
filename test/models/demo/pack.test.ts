import { describe, expect, it } from 'vitest';
import { buildDemoPack, demoVocabularyText } from '../../../src/models/demo/index';
import { EOT_TOKEN, SOT_TOKEN } from '../../../src/models/clip/index';
import { unetParameterShapes } from '../../../src/models/unet/index';

describe('demo pack', () => {
  it('builds in well under 5 s, deterministically, with labelled tiny models', () => {
    const t0 = performance.now();
    const a = buildDemoPack();
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(5000);
    const b = buildDemoPack();
    expect(a.label).toMatch(/random/);
    expect(a.unet.config.imageSize).toBe(64);
    expect(a.clips[0]!.weights.get('visual.proj')!.data).toEqual(b.clips[0]!.weights.get('visual.proj')!.data);
    expect(unetParameterShapes(a.unet.config).size).toBeGreaterThan(50);
  });

  it('has a synthetic vocabulary of CLIP size that the real tokenizer reads', () => {
    const lines = demoVocabularyText().split('\n');
    expect(lines.length).toBe(1 + 49152 - 256 - 2);
    expect(new Set(lines).size).toBe(lines.length);
    const { tokenizer } = buildDemoPack();
    const t = tokenizer.tokenize('the cat');
    expect(t.ids[0]).toBe(SOT_TOKEN);
    expect(t.ids[t.eotIndex]).toBe(EOT_TOKEN);
    // "the</w>" → 'th' is an inner merge, 'e</w>' a word-final one: 2 tokens; "cat" likewise 2.
    expect(t.length).toBe(2 + 4);
    expect(Math.max(...t.ids)).toBeLessThan(49408);
  });
});
