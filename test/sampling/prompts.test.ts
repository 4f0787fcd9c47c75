import { describe, expect, it } from 'vitest';
import { SettingsError } from '../../src/errors';
import { clampGradRms, gradRms, imagePromptWeights, normalizeWeights, parsePrompt } from '../../src/sampling/index';

describe('parsePrompt (spec §4.1)', () => {
  it('reads a trailing numeric weight like upstream', () => {
    expect(parsePrompt('a cat:2')).toEqual({ text: 'a cat', weight: 2 });
    expect(parsePrompt('a cat')).toEqual({ text: 'a cat', weight: 1 });
    expect(parsePrompt('blurry:-0.5')).toEqual({ text: 'blurry', weight: -0.5 });
    expect(parsePrompt('x: 1e-1 ')).toEqual({ text: 'x', weight: 0.1 });
    expect(parsePrompt('x:.5')).toEqual({ text: 'x', weight: 0.5 });
    expect(parsePrompt('x:3.')).toEqual({ text: 'x', weight: 3 });
    expect(parsePrompt('x:1_0')).toEqual({ text: 'x', weight: 10 });
    expect(parsePrompt('a:b:3')).toEqual({ text: 'a:b', weight: 3 });
  });

  it('keeps URLs whole, with or without a weight', () => {
    expect(parsePrompt('https://example.com/a.png')).toEqual({ text: 'https://example.com/a.png', weight: 1 });
    expect(parsePrompt('https://example.com/a.png:0.5')).toEqual({ text: 'https://example.com/a.png', weight: 0.5 });
    expect(parsePrompt('http://example.com:8080/a.png:3')).toEqual({ text: 'http://example.com:8080/a.png', weight: 3 });
  });

  it('keeps a colon followed by non-numeric text in the text (upstream: ValueError)', () => {
    expect(parsePrompt('a:b')).toEqual({ text: 'a:b', weight: 1 });
    expect(parsePrompt('time: 10:30 pm')).toEqual({ text: 'time: 10:30 pm', weight: 1 });
    expect(parsePrompt('a cat:')).toEqual({ text: 'a cat:', weight: 1 });
    expect(parsePrompt('x:inf')).toEqual({ text: 'x:inf', weight: 1 });
    expect(parsePrompt('x:1__0')).toEqual({ text: 'x:1__0', weight: 1 });
  });
});

describe('prompt weights (spec §4.3–4.4)', () => {
  it('divides by |Σw|, keeping the signs', () => {
    expect(Array.from(normalizeWeights([2, -0.5]))).toEqual([Math.fround(4 / 3), Math.fround(-1 / 3)]);
    expect(Array.from(normalizeWeights([-1, -1]))).toEqual([-0.5, -0.5]);
  });

  it('refuses weights that sum to (nearly) 0', () => {
    expect(() => normalizeWeights([1, -1])).toThrow(SettingsError);
    expect(() => normalizeWeights([1, -0.9995])).toThrow(/must not sum to 0|not 0/);
    expect(() => normalizeWeights([])).toThrow(SettingsError);
    expect(normalizeWeights([1, -0.998]).length).toBe(2);
  });

  it('an image prompt adds cutn targets of weight/cutn', () => {
    expect(imagePromptWeights(2, 4)).toEqual([0.5, 0.5, 0.5, 0.5]);
  });
});

describe('gradient RMS clamp (spec §7 step 11, §14.2)', () => {
  const g = Float32Array.from({ length: 12 }, (_, i) => i / 10);

  it('caps the RMS at 0.05 without turning the gradient', () => {
    expect(gradRms(g)).toBeCloseTo(0.6493586, 6);
    const { grad, magnitude } = clampGradRms(g);
    expect(magnitude).toBeCloseTo(0.6493586, 6);
    grad.forEach((v, i) => expect(v).toBeCloseTo((i / 10) * 0.05 / 0.6493586, 7));
    expect(grad[11]).toBeCloseTo(0.084699, 6);
    expect(gradRms(grad)).toBeCloseTo(0.05, 7);
  });

  it('leaves a small gradient alone and a zero one zero (upstream: NaN)', () => {
    const small = g.map((v) => v / 100);
    expect(Array.from(clampGradRms(small).grad)).toEqual(Array.from(small));
    const zero = clampGradRms(new Float32Array(4));
    expect(Array.from(zero.grad)).toEqual([0, 0, 0, 0]);
    expect(zero.magnitude).toBe(0);
  });
});
