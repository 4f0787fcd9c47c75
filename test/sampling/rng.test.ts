import { describe, expect, it } from 'vitest';
import { createRng, hashString } from '../../src/sampling/rng';

describe('rng', () => {
  it('is reproducible for a seed and differs between seeds', () => {
    const a = createRng(42).fillNormal(new Float64Array(8));
    expect(createRng(42).fillNormal(new Float64Array(8))).toEqual(a);
    expect(createRng(43).fillNormal(new Float64Array(8))).not.toEqual(a);
  });

  it('draws uniforms in [0, 1) with mean 1/2 and normals with mean 0, variance 1', () => {
    const rng = createRng(7);
    const n = 200_000;
    let sum = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      sum += u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.005);
    const z = createRng(8).fillNormal(new Float64Array(n));
    const mean = z.reduce((p, q) => p + q, 0) / n;
    const variance = z.reduce((p, q) => p + (q - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
  });

  it('hashes strings with FNV-1a', () => {
    expect(hashString('')).toBe(0x811c9dc5);
    expect(hashString('a')).toBe(0xe40c292c);
  });
});
