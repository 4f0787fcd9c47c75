import { describe, expect, it } from 'vitest';
import { pngFileName, promptSlug } from '../../src/ui/file-names';

const settings = (text: string, seed = 42) => ({ prompts: [{ text: '', weight: 1 }, { text, weight: 1 }], seed });

describe('PNG names', () => {
  it("carry the first prompt's first words (accents dropped, other scripts left out) and the seed", () => {
    expect(pngFileName(settings('café at night ☕ 夜のカフェ'))).toBe('clip-diffusion-cafe-at-night-42.png');
    expect(pngFileName(settings('A Lighthouse, in a storm: oil on canvas!'), { upscaled: true })).toBe('clip-diffusion-a-lighthouse-in-a-storm-42-x4.png');
  });

  it('number the images of a job and cap the words at 40 characters', () => {
    expect(pngFileName(settings('x'), { index: 2, count: 4 })).toBe('clip-diffusion-x-42-3.png');
    expect(promptSlug(settings('supercalifragilisticexpialidocious extraordinarily'))).toBe('supercalifragilisticexpialidocious-extra');
  });

  it('fall back to the seed alone when no prompt has words', () => {
    expect(pngFileName(settings('☕☕'), { upscaled: true })).toBe('clip-diffusion-42-x4.png');
  });
});
