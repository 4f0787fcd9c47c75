import { beforeAll, expect, it } from 'vitest';
import { nodeFixtureDir } from '../../src/cli/commands/conformance';
import { loadReferenceTensors, type ReferenceTensors } from '../../src/cli/conformance/reference-tensors';
import { stepError } from '../../src/cli/conformance/results';
import {
  applyScaleMultiplier, clampGradRms, coefficientsAt, createSchedule, ddimStep, finalImage, guidanceFac, guidanceInput, gradRms, modelOutputFor,
  modelTimestep, normalizeWeights, parsePrompt, qSample, replayRng, sampleLoop, type CondFn, type DiffusionModel, type Schedule,
} from '../../src/sampling/index';
import { describeWithFixtures, FIXTURES_DIR } from '../fixtures';

const TOL = 1e-4;

/**
 * The guidance group's quantities that the step maths alone determines (issue 6 brings the CLIP
 * losses and the UNet VJP): cond_fn's x, fac, x_in, model timestep, RMS clamp and the guided DDIM
 * step; and the end-to-end `ClipDiffusion.sample()` run replayed through sampleLoop with its
 * recorded x̂0 and cond_fn outputs.
 */
describeWithFixtures('guidance fixture: sampler side', () => {
  let ref: ReferenceTensors;
  let s: Schedule;
  beforeAll(async () => {
    ref = await loadReferenceTensors(nodeFixtureDir(FIXTURES_DIR), 'guidance/guidance_ref.safetensors');
    s = createSchedule({ steps: 1000, respacing: 'ddim50' });
  });

  for (const curT of [44, 20]) {
    it(`cond_fn at cur_t ${curT}: x, fac, x_in, model t and the RMS clamp`, () => {
      const p = `condfn.t${curT}`;
      const c = coefficientsAt(s, curT);
      expect(stepError(qSample(c, ref.f32('condfn.x0'), ref.f32('condfn.eps')), ref.f32(`${p}.x`))).toBe(0);
      expect(guidanceFac(s, curT)).toBe(ref.f64(`${p}.fac`)[0]);
      expect(modelTimestep(s, curT)).toBe(ref.f32(`${p}.model_t`)[0]);
      expect(stepError(guidanceInput(ref.f32(`${p}.pred_xstart`), ref.f32(`${p}.x`), guidanceFac(s, curT)), ref.f32(`${p}.x_in`))).toBe(0);
      const unclamped = ref.f32(`${p}.grad_unclamped`);
      const magnitude = ref.f32(`${p}.grad_magnitude`)[0]!;
      expect(Math.abs(gradRms(unclamped) - magnitude) / magnitude).toBeLessThan(1e-6);
      const clamped = clampGradRms(unclamped);
      expect(stepError(clamped.grad, ref.f32(`${p}.grad`))).toBeLessThan(1e-6);
      expect(gradRms(clamped.grad)).toBeCloseTo(0.05, 6);
    });

    it(`cond_fn at cur_t ${curT}: one guided ddim_sample step from the recorded gradient`, () => {
      const p = `condfn.t${curT}`;
      const predXstart = ref.f32(`${p}.pred_xstart`);
      const sample = ddimStep({ c: coefficientsAt(s, curT), x: ref.f32(`${p}.x`), predXstart, condGrad: ref.f32(`${p}.grad`), eta: 0, noise: new Float32Array(predXstart.length) });
      expect(stepError(sample, ref.f32(`${p}.ddim_step_sample`))).toBeLessThan(TOL * 1e-2);
      // The step yields the unguided x̂0 (the fork), which is p_mean_variance's.
      expect(stepError(predXstart, ref.f32(`${p}.ddim_step_pred_xstart`))).toBe(0);
    });
  }

  it('e2e: sample() replayed step by step (skip 5, recorded x̂0 and cond_fn outputs) and its final image', async () => {
    const noise = ref.f32('e2e.noise');
    const steps = ref.rows('e2e.x');
    const model: DiffusionModel = (_x, _t, { step, index }) =>
      Promise.resolve(modelOutputFor(coefficientsAt(s, index), step === 0 ? qSample(coefficientsAt(s, 44), new Float32Array(noise.length), noise) : ref.row('e2e.x', step - 1), ref.row('e2e.pred_xstart', step)));
    const condT: number[] = [];
    const condFn: CondFn = (_x, t, { step }) => {
      condT.push(t);
      return Promise.resolve(ref.row('e2e.cond_grad', step));
    };
    let worst = 0;
    const result = await sampleLoop({
      schedule: s, method: 'ddim', shape: [1, 3, 32, 32], model, condFn, noise, skipTimesteps: 5,
      rng: replayRng(Array.from({ length: steps }, () => new Float32Array(noise.length))),
      onStep: ({ step, sample }) => void (worst = Math.max(worst, stepError(sample, ref.row('e2e.x', step)))),
    });
    expect(steps).toBe(45);
    expect(worst).toBeLessThan(TOL);
    expect(condT).toEqual(Array.from(ref.f32('e2e.cond_t')));
    expect(stepError(finalImage(result.predXstart), ref.f32('e2e.final'))).toBeLessThan(1e-6);
  });

  it('prompt weights and scales of the guidance settings', () => {
    const prompts = ['beautiful matte painting of dystopian city, Behance HD:2', 'artstation HQ:-0.5'].map(parsePrompt);
    expect(prompts.map((p) => p.text)).toEqual(['beautiful matte painting of dystopian city, Behance HD', 'artstation HQ']);
    expect(Array.from(normalizeWeights(prompts.map((p) => p.weight)))).toEqual([Math.fround(4 / 3), Math.fround(-1 / 3)]);
    expect(applyScaleMultiplier({ clipGuidanceScale: 5000, tvScale: 100, rangeScale: 150, saturationScale: 10, initScale: 0 }, 50))
      .toEqual({ clipGuidanceScale: 250000, tvScale: 5000, rangeScale: 7500, saturationScale: 10, initScale: 0 });
  });
});
