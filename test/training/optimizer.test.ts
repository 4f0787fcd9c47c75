import { expect, it } from 'vitest';
import { adamWState, adamWStep, annealedLr, parseResumeStep, updateEma } from '../../src/training/index';
import { createRng } from '../../src/sampling/rng';

it("parses the resume step from the whole path, as train.py does (its quirks included)", () => {
  expect(parseResumeStep('pretrained_models/lsun_uncond_100M_1200K_bs128.pt')).toBe(0);
  expect(parseResumeStep('outputs/model000500.pt')).toBe(500);
  expect(parseResumeStep('outputs/ema_0.9999_000500.pt')).toBe(0);
  expect(parseResumeStep('my_models/model-final.pt')).toBe(0);
  expect(parseResumeStep('finetune_model3.pt')).toBe(3);
  expect(parseResumeStep('runs/model1_000.pt')).toBe(1000);
});

it('anneals the learning rate after each step with the counter before it moves on', () => {
  const used = [0, 1, 2].map((k) => (k === 0 ? 2e-3 : annealedLr(2e-3, 3, k - 1, 0)));
  expect(used).toEqual([2e-3, 2e-3, 2e-3 * (1 - 1 / 3)]);
  expect(annealedLr(5e-6, 0, 7, 0)).toBe(5e-6);
});

it("takes AdamW steps as torch's single-tensor AdamW (float64 reference) and moves the EMA", () => {
  const rng = createRng(4);
  const p0 = rng.fillNormal(new Float32Array(257));
  const params = new Map([['w', p0.slice()]]);
  const ema = new Map([['w', p0.slice()]]);
  const state = adamWState(params);
  const [lr, wd, b1, b2, eps] = [2e-3, 0.05, 0.9, 0.999, 1e-8];
  const ref = { p: Float64Array.from(p0), m: new Float64Array(257), v: new Float64Array(257), e: Float64Array.from(p0) };
  for (let step = 1; step <= 3; step++) {
    const g = rng.fillNormal(new Float32Array(257)).map((x) => 0.1 * x);
    adamWStep(params, new Map([['w', g]]), state, { lr, betas: [b1, b2], eps, weightDecay: wd });
    updateEma(ema, params, 0.9);
    for (let i = 0; i < 257; i++) {
      ref.p[i]! *= 1 - lr * wd;
      ref.m[i] = b1 * ref.m[i]! + (1 - b1) * g[i]!;
      ref.v[i] = b2 * ref.v[i]! + (1 - b2) * g[i]! * g[i]!;
      ref.p[i]! -= ((lr / (1 - b1 ** step)) * ref.m[i]!) / (Math.sqrt(ref.v[i]!) / Math.sqrt(1 - b2 ** step) + eps);
      ref.e[i] = 0.9 * ref.e[i]! + 0.1 * ref.p[i]!;
    }
  }
  expect(state.step).toBe(3);
  const worst = (a: Float32Array, b: Float64Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
  // Each step moves a parameter by about lr: float32 rounding leaves errors far below it.
  expect(worst(params.get('w')!, ref.p)).toBeLessThan(1e-6);
  expect(worst(state.expAvg.get('w')!, ref.m)).toBeLessThan(1e-7);
  expect(worst(ema.get('w')!, ref.e)).toBeLessThan(1e-6);
  expect(worst(params.get('w')!, Float64Array.from(p0))).toBeGreaterThan(3e-3);
});
