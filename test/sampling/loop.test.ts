import { describe, expect, it } from 'vitest';
import { isAbortError, SettingsError, ShapeError } from '../../src/errors';
import {
  coefficientsAt, createRng, createSchedule, finalImage, replayRng, sampleLoop, samplingMethod, type DiffusionModel, type Rng, type SampleOptions,
  type SampleShape,
} from '../../src/sampling/index';

const schedule = createSchedule({ steps: 1000, respacing: 'ddim10' });
const shape: SampleShape = [1, 3, 2, 2];

/** A smooth stand-in network with [B, 2C, H, W] output (C·H·W = 12): ε̂ = 0.5·x + 1e-3·t, variance values tanh(x). */
const toyModel: DiffusionModel = (x, t) => {
  const out = new Float32Array(2 * x.length);
  x.forEach((xi, i) => {
    const at = 24 * Math.floor(i / 12) + (i % 12);
    out[at] = 0.5 * xi + 1e-3 * t;
    out[at + 12] = Math.tanh(xi);
  });
  return Promise.resolve(out);
};

function tracing(log: string[], rng: Rng): Rng {
  return { ...rng, fillNormal: (out) => (log.push('noise'), rng.fillNormal(out)) };
}

const base = (over: Partial<SampleOptions> = {}): SampleOptions => ({ schedule, method: 'ddim', shape, model: toyModel, rng: createRng(1), ...over });

describe('sampleLoop', () => {
  it('runs the model, cond_fn and the noise draw in upstream order (DDIM: cond then noise; DDPM: noise then cond)', async () => {
    for (const [method, expected] of [['ddim', ['noise', 'model', 'cond', 'noise']], ['ddpm', ['noise', 'model', 'noise', 'cond']]] as const) {
      const log: string[] = [];
      const model: DiffusionModel = (x, t, c) => (log.push('model'), toyModel(x, t, c));
      const condFn = (x: Float32Array) => (log.push('cond'), Promise.resolve(new Float32Array(x.length)));
      await sampleLoop(base({ method, model, condFn, rng: tracing(log, createRng(3)), skipTimesteps: 8 }));
      expect(log.slice(0, 4), method).toEqual(expected);
      expect(log.length).toBe(1 + 2 * 3);
    }
  });

  it('draws x_T first from the injected rng: a seed reproduces a run, another seed does not', async () => {
    const a = await sampleLoop(base({ rng: createRng(5), eta: 1 }));
    const b = await sampleLoop(base({ rng: createRng(5), eta: 1 }));
    const c = await sampleLoop(base({ rng: createRng(6), eta: 1 }));
    expect(b.sample).toEqual(a.sample);
    expect(c.sample).not.toEqual(a.sample);
    const draws = createRng(5);
    const replayed = Array.from({ length: 11 }, () => draws.fillNormal(new Float32Array(12)));
    const d = await sampleLoop(base({ noise: replayed[0]!, rng: replayRng(replayed.slice(1)), eta: 1 }));
    expect(d.sample).toEqual(a.sample);
  });

  it('starts skipped runs from q_sample of a zero image, and of the init image when given', async () => {
    const noise = Float32Array.from({ length: 12 }, (_, i) => i - 6);
    const seen: Float32Array[] = [];
    const model: DiffusionModel = (x, t, c) => (seen.push(x.slice()), toyModel(x, t, c));
    const init = new Float32Array(12).fill(0.5);
    await sampleLoop(base({ model, noise, skipTimesteps: 3 }));
    await sampleLoop(base({ model, noise, initImage: init }));
    const c6 = coefficientsAt(schedule, 6);
    const c9 = coefficientsAt(schedule, 9);
    expect(seen[0]![1]).toBe(Math.fround(-5 * c6.sqrtOneMinusAlphaBar));
    expect(seen[7]![1]).toBeCloseTo(0.5 * c9.sqrtAlphaBar - 5 * c9.sqrtOneMinusAlphaBar, 6);
  });

  it('treats batch elements independently (the output is split per element at channel C)', async () => {
    const noise = createRng(9).fillNormal(new Float32Array(24));
    const pair = await sampleLoop(base({ shape: [2, 3, 2, 2], noise, method: 'ddpm', rng: replayRng(Array.from({ length: 10 }, () => new Float32Array(24).fill(0.1))) }));
    for (const b of [0, 1]) {
      const one = await sampleLoop(base({ noise: noise.slice(12 * b, 12 * b + 12), method: 'ddpm', rng: replayRng(Array.from({ length: 10 }, () => new Float32Array(12).fill(0.1))) }));
      expect(pair.sample.slice(12 * b, 12 * b + 12)).toEqual(one.sample);
    }
  });

  it('reports every step and previews x̂0 every N steps and at the last', async () => {
    const events: { step: number; index: number; timestep: number; preview: boolean }[] = [];
    const result = await sampleLoop(base({ previewEvery: 4, onStep: (e) => void events.push({ step: e.step, index: e.index, timestep: e.timestep, preview: e.preview !== undefined }) }));
    expect(events.map((e) => e.index)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(events.map((e) => e.timestep)).toEqual([900, 800, 700, 600, 500, 400, 300, 200, 100, 0]);
    expect(events.filter((e) => e.preview).map((e) => e.step)).toEqual([0, 4, 8, 9]);
    expect(finalImage(result.predXstart).every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('stops between and inside steps when cancelled', async () => {
    const signal = { aborted: true };
    let calls = 0;
    const model: DiffusionModel = (x, t, c) => (calls++, toyModel(x, t, c));
    await expect(sampleLoop(base({ model, signal }))).rejects.toSatisfy(isAbortError);
    expect(calls).toBe(0);
    signal.aborted = false;
    let conds = 0;
    const cancelling: DiffusionModel = (x, t, c) => ((signal.aborted = c.step === 2), toyModel(x, t, c));
    await expect(sampleLoop(base({ model: cancelling, signal, condFn: (x) => (conds++, Promise.resolve(new Float32Array(x.length))) }))).rejects.toSatisfy(isAbortError);
    expect(conds).toBe(2);
    signal.aborted = false;
    const steps: number[] = [];
    await expect(sampleLoop(base({ signal, onStep: (e) => void (steps.push(e.step), (signal.aborted = e.step === 4)) }))).rejects.toSatisfy(isAbortError);
    expect(steps).toEqual([0, 1, 2, 3, 4]);
  });

  it('refuses bad settings and shapes with errors that name them', async () => {
    await expect(sampleLoop(base({ skipTimesteps: 10 }))).rejects.toThrow(SettingsError);
    await expect(sampleLoop(base({ previewEvery: 0 }))).rejects.toThrow(/previewEvery/);
    await expect(sampleLoop(base({ noise: new Float32Array(5) }))).rejects.toThrow(/noise has 5 elements/);
    await expect(sampleLoop(base({ model: (x) => Promise.resolve(new Float32Array(x.length + 1)) }))).rejects.toThrow(ShapeError);
    const epsOnly: DiffusionModel = (x) => Promise.resolve(new Float32Array(x.length));
    await expect(sampleLoop(base({ model: epsOnly }))).resolves.toBeDefined();
    await expect(sampleLoop(base({ model: epsOnly, method: 'ddpm' }))).rejects.toThrow(/DDPM sampling needs the learned variance/);
    await expect(sampleLoop(base({ condFn: () => Promise.resolve(new Float32Array(3)) }))).rejects.toThrow(ShapeError);
  });

  it('maps --sampling to the method and the final image to [0, 1] as (clamp(x) + 1)/2', () => {
    expect(['ddim50', ' ddim25', '250', ''].map(samplingMethod)).toEqual(['ddim', 'ddim', 'ddpm', 'ddpm']);
    expect(Array.from(finalImage(Float32Array.of(-3, -1, 0, 0.5, 2)))).toEqual([0, 0, 0.5, 0.75, 1]);
  });
});
