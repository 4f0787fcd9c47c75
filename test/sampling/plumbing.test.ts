import { describe, expect, it } from 'vitest';
import {
  clampGradRms, coefficientsAt, createSchedule, guidanceFac, guidanceInput, predXstartOf, replayRng, sampleLoop, type CondFn, type DiffusionModel,
  type Schedule, type StepEvent,
} from '../../src/sampling/index';

/**
 * Spec §14.3: the fork's own sampler on a dummy model, a quadratic loss through the §7 cond_fn
 * structure (second model call at cur_t, x_in = fac·x̂0 + (1 − fac)·x, VJP back to x, negated,
 * RMS-clamped), skip 5 without init image and every in-loop noise zeroed.
 */
const dummyModel: DiffusionModel = (x, t) => {
  const out = new Float32Array(2 * x.length);
  x.forEach((xi, i) => (out[i] = Math.fround(Math.fround(0.98 * xi) + Math.fround(2e-5 * t))));
  out.fill(Math.fround(0.2), x.length);
  return Promise.resolve(out);
};

/** L = 1000·Σ(x_in − 0.25)²; d x_in/d x = (1 − fac) + fac·(sqrt(1/ᾱ) − sqrt(1/ᾱ − 1)·0.98) for this model. */
function quadraticCondFn(s: Schedule): CondFn {
  return async (x, t, { index }) => {
    const c = coefficientsAt(s, index);
    const eps = (await dummyModel(x, t, { step: 0, index })).subarray(0, x.length);
    const fac = guidanceFac(s, index);
    const xIn = guidanceInput(predXstartOf(c, x, eps, false), x, fac);
    const dxIn = (1 - fac) + fac * (c.sqrtRecipAlphaBar - c.sqrtRecipm1AlphaBar * 0.98);
    return clampGradRms(xIn.map((v) => -2000 * (v - 0.25) * dxIn)).grad;
  };
}

async function run(respacing: string, options: { eta?: number; clipDenoised?: boolean }) {
  const schedule = createSchedule({ steps: 1000, respacing });
  const noise = Float32Array.from({ length: 12 }, (_, i) => -1.5 + (3 * i) / 11);
  const events: StepEvent[] = [];
  const timesteps: number[] = [];
  const model: DiffusionModel = (x, t, ctx) => {
    timesteps.push(t);
    return dummyModel(x, t, ctx);
  };
  await sampleLoop({
    schedule, method: respacing.startsWith('ddim') ? 'ddim' : 'ddpm', shape: [1, 3, 2, 2], model, noise, skipTimesteps: 5,
    rng: replayRng(Array.from({ length: 45 }, () => new Float32Array(12))), condFn: quadraticCondFn(schedule), ...options,
    onStep: (e) => void events.push({ ...e, sample: e.sample.slice() }),
  });
  return { events, timesteps };
}

const expectClose = (actual: Float32Array | undefined, expected: number[]) => {
  expect(actual).toBeDefined();
  const scale = Math.max(1, ...expected.map(Math.abs));
  Array.from(actual!).forEach((a, i) => expect(Math.abs(a - expected[i]!) / scale, `element ${i}`).toBeLessThan(2e-6));
};

describe('sampler plumbing vectors (spec §14.3)', () => {
  it('ddim50, η = 0, clip_denoised False', async () => {
    const { events, timesteps } = await run('ddim50', {});
    expect(events.length).toBe(45);
    expect(timesteps.slice(0, 2)).toEqual([880, 860]);
    expect(timesteps.at(-1)).toBe(0);
    expectClose(events[0]!.sample, [-1.4915651, -1.2196509, -0.9477364, -0.675822, -0.4039077, -0.1319934, 0.1399209, 0.4118351, 0.6837494, 0.9556638, 1.2275783, 1.4994924]);
    expectClose(events[0]!.preview, [-2.4325485, -2.1528358, -1.8731117, -1.5933876, -1.3136673, -1.0339446, -0.7542233, -0.4745007, -0.1947784, 0.0849419, 0.3646622, 0.6443863]);
    expectClose(events[44]!.sample, [-0.6323857, -0.5076199, -0.3828538, -0.2580882, -0.1333223, -0.0085565, 0.1162093, 0.2409749, 0.3657408, 0.4905066, 0.6152726, 0.7400379]);
    expectClose(events[44]!.preview, [-0.632395, -0.5076278, -0.3828605, -0.2580935, -0.1333263, -0.0085592, 0.1162079, 0.2409749, 0.365742, 0.4905092, 0.6152765, 0.740043]);
  });

  it('ddim50, η = 0.5 (noise zeroed: η changes the sqrt(1 − ᾱ_prev − σ²) factor)', async () => {
    const { events } = await run('ddim50', { eta: 0.5 });
    expectClose(events[0]!.sample, [-1.4332916, -1.1718309, -0.9103701, -0.6489093, -0.3874486, -0.1259879, 0.1354727, 0.3969334, 0.658394, 0.9198548, 1.1813157, 1.4427761]);
    expectClose(events[44]!.sample, [-0.1782292, -0.1363245, -0.0944198, -0.0525152, -0.0106105, 0.0312941, 0.0731988, 0.1151033, 0.157008, 0.1989126, 0.2408173, 0.282722]);
  });

  it('ddim50, η = 0, clip_denoised True (the cond_fn x̂0 stays unclamped)', async () => {
    const { events } = await run('ddim50', { clipDenoised: true });
    expectClose(events[0]!.sample, [-1.4861391, -1.2152842, -0.9444294, -0.6735745, -0.4027196, -0.1318648, 0.1399209, 0.4118351, 0.6837494, 0.9556638, 1.2275783, 1.4994924]);
    expectClose(events[0]!.preview, [-1, -1, -1, -1, -1, -1, -0.7542233, -0.4745007, -0.1947784, 0.0849419, 0.3646622, 0.6443863]);
    expectClose(events[44]!.sample, [-0.6237895, -0.5014531, -0.3787867, -0.2557301, -0.1322188, -0.0081859, 0.1164371, 0.2411191, 0.3658011, 0.4904834, 0.6151651, 0.7398472]);
  });

  it('"50" (DDPM, condition_mean with the learned variance), step noise zeroed', async () => {
    const { events, timesteps } = await run('50', {});
    expect(timesteps.slice(0, 2)).toEqual([897, 877]);
    expectClose(events[0]!.sample, [-1.2436433, -1.0166208, -0.7895982, -0.5625755, -0.3355528, -0.1085303, 0.1184923, 0.3455149, 0.5725375, 0.7995602, 1.0265828, 1.2536052]);
    expectClose(events[0]!.preview, [-2.8498154, -2.5247269, -2.1996269, -1.8745346, -1.5494423, -1.2243495, -0.8992567, -0.5741634, -0.2490692, 0.0760193, 0.4011154, 0.7262039]);
    expectClose(events[44]!.sample, [0.0234983, 0.0245332, 0.0255681, 0.0266029, 0.0276378, 0.0286727, 0.0297076, 0.0307425, 0.0317774, 0.0328123, 0.0338472, 0.0348821]);
  });
});
