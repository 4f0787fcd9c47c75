import { describe, expect, it } from 'vitest';
import { SettingsError } from '../../src/errors';
import { cosineBetas, createSchedule, linearBetas, modelTimestep, roundHalfEven, spaceTimesteps } from '../../src/sampling/index';

const close = (a: number, b: number, rel = 1e-9) => expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThanOrEqual(rel * Math.abs(b));

describe('betas (spec §8.1)', () => {
  it('linear: numpy linspace from 1e-4 to 0.02 scaled by 1000/T', () => {
    const b = linearBetas(1000);
    expect(b[0]).toBe(1e-4);
    expect(b[999]).toBe(0.02);
    // np.linspace(1e-4 * 0.25, 0.02 * 0.25, 4000)[1234], printed by numpy.
    expect(linearBetas(4000)[1234]).toBe(0.0015601712928232057);
  });

  it('cosine: the squared-cosine ᾱ(t), capped at 0.999 (values from Python math)', () => {
    const b = cosineBetas(1000);
    close(b[0]!, 4.128422482196914e-5, 1e-12);
    close(b[500]!, 0.003155691441585007, 1e-12);
    expect(b[999]).toBe(0.999);
  });
});

describe('respacing (spec §8.2)', () => {
  it('ddimN keeps range(0, T, stride) for the first stride with exactly N steps', () => {
    expect(spaceTimesteps(1000, 'ddim25')).toEqual(Array.from({ length: 25 }, (_, k) => 40 * k));
    expect(spaceTimesteps(1000, 'ddim50').at(-1)).toBe(980);
    expect(spaceTimesteps(1000, 'ddim250').at(-1)).toBe(996);
    expect(spaceTimesteps(1000, 'ddim1000').length).toBe(1000);
  });

  it('ddim150 with 1000 steps is a clear error, as upstream raises ValueError', () => {
    expect(() => spaceTimesteps(1000, 'ddim150')).toThrow(SettingsError);
    expect(() => spaceTimesteps(1000, 'ddim150')).toThrow(/ddim150.*no integer stride.*ddim143, ddim167/);
  });

  it('plain counts round an accumulated stride half to even (Python round)', () => {
    expect(spaceTimesteps(1000, '25')).toEqual([0, 42, 83, 125, 166, 208, 250, 291, 333, 375, 416, 458, 500, 541, 583, 624, 666, 708, 749, 791, 832, 874, 916, 957, 999]);
    const fifty = spaceTimesteps(1000, '50');
    expect(fifty.slice(0, 6)).toEqual([0, 20, 41, 61, 82, 102]);
    expect(fifty.slice(-3)).toEqual([958, 979, 999]);
    const k150 = spaceTimesteps(1000, '150');
    expect(k150.slice(0, 10)).toEqual([0, 7, 13, 20, 27, 34, 40, 47, 54, 60]);
    expect(k150.slice(-2)).toEqual([992, 999]);
    expect([0.5, 1.5, 2.5, 166.5, 499.5, 832.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 166, 500, 832, 2, 3]);
  });

  it('comma lists give sections; "" keeps every step', () => {
    expect(spaceTimesteps(10, '2,3')).toEqual([0, 4, 5, 7, 9]);
    expect(spaceTimesteps(1000, '')).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('refuses what upstream cannot run, naming the setting', () => {
    expect(() => spaceTimesteps(1000, 'ddimfast')).toThrow(/'fast' is not a step count/);
    expect(() => spaceTimesteps(1000, '1')).toThrow(/keeps 1 step/);
    expect(() => spaceTimesteps(10, '20')).toThrow(/cannot divide a section of 10 steps into 20/);
  });
});

describe('respaced schedule (spec §14.1, ddim50, T = 1000)', () => {
  const s = createSchedule({ steps: 1000, respacing: 'ddim50' });
  const table: [number, number, number, number, number, number, number, number][] = [
    [0, 0, 9.999e-1, 1.0, 0.01, 1.0e-4, -9.21034, -9.226332],
    [1, 20, 9.9373542857e-1, 9.999e-1, 0.0791490457, 6.1651879466e-3, -5.088837, -9.226332],
    [2, 40, 9.7976692405e-1, 9.9373542857e-1, 0.1422430172, 1.4056562866e-2, -4.264666, -5.437074],
    [43, 860, 5.507081784e-4, 7.7664293831e-4, 0.999724608, 2.9091201215e-1, -1.234734, -1.234961],
    [44, 880, 3.873472717e-4, 5.507081784e-4, 0.9998063076, 2.966378803e-1, -1.215243, -1.215407],
    [45, 900, 2.7024451956e-4, 3.873472717e-4, 0.9998648686, 3.0231980627e-1, -1.19627, -1.196387],
    [48, 960, 8.7413053911e-5, 1.2837966033e-4, 0.9999562925, 3.1910511614e-1, -1.142235, -1.142276],
    [49, 980, 5.9037513709e-5, 8.7413053911e-5, 0.9999704808, 3.2461444753e-1, -1.125117, -1.125145],
  ];
  it.each(table)('j = %i (t = %i)', (j, t, ab, abPrev, fac, beta, logBeta, logPost) => {
    expect(s.timestepMap[j]).toBe(t);
    close(s.alphasCumprod[j]!, ab, 1e-9);
    close(s.alphasCumprodPrev[j]!, abPrev, 1e-9);
    close(s.sqrtOneMinusAlphasCumprod[j]!, fac, 1e-9);
    close(s.betas[j]!, beta, 1e-9);
    expect(s.logBetas[j]).toBeCloseTo(logBeta, 5);
    expect(s.posteriorLogVarianceClipped[j]).toBeCloseTo(logPost, 5);
  });

  it('the model receives timestep_map[j]·1000/T as float32 with rescale_timesteps, the integer step without', () => {
    expect(modelTimestep(s, 44)).toBe(880);
    const t4000 = createSchedule({ steps: 4000, respacing: 'ddim50' });
    expect(modelTimestep(t4000, 1)).toBe(20);
    expect(t4000.timestepMap[1]).toBe(80);
    expect(modelTimestep(createSchedule({ steps: 4000, respacing: 'ddim50', rescaleTimesteps: false }), 1)).toBe(80);
    expect(() => modelTimestep(s, 50)).toThrow(SettingsError);
  });
});
