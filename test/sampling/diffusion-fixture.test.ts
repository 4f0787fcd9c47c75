import { expect, it } from 'vitest';
import { diffusionChecks } from '../../src/cli/conformance/diffusion-model';
import { formatResult } from '../../src/cli/conformance/results';
import type { CheckResult } from '../../src/cli/conformance/types';
import { describeWithFixtures } from '../fixtures';
import { groupContext } from '../helpers/conformance';

/**
 * The diffusion group's conformance suite on the shared fixtures: every sched.* array (float64,
 * per element 1e-12), the step indices and model timesteps of every run, the DDIM trajectories
 * replayed through sampleLoop (η = 0 for ddim50/ddim25, the analytic cond_fn) within
 * 1e-4 × max(1, max|ref|) per step, the single η = 0.5 / skip / DDPM steps the recorded data
 * determine, and the first steps of the η = 0.5, skip + init, DDPM and DDPM + cond_fn runs sampled
 * with the fixture UNet (src/models/unet) on the wasm EP.
 */
describeWithFixtures('diffusion fixture (conformance suite)', () => {
  const run = async (): Promise<CheckResult[]> => {
    const ctx = await groupContext('diffusion');
    const results: CheckResult[] = [];
    // The UNet-driven runs are cut to 3 steps each here (12 forwards); the conformance command runs them whole.
    for await (const r of diffusionChecks(ctx, 3)) results.push(r);
    return results;
  };

  it('passes every check, schedules and trajectories included', { timeout: 120_000 }, async () => {
    const results = await run();
    const names = results.map((r) => r.name);
    for (const respacing of ['base1000', 'ddim25', 'ddim50', 'ddim100', '25', '50', '100', '250']) {
      expect(names).toContain(`sched.${respacing}.timestep_map`);
      expect(names).toContain(`sched.${respacing}: 11 float64 arrays (per element)`);
    }
    for (const name of ['ddim_eta0.ddim50: x per step (replayed model output, 50 steps)', 'ddim_eta0.ddim25: pred_xstart per step', 'ddim_cond.ddim50: cond_fn output per step',
      'ddim_eta0.5.ddim50: step 0 with the recorded noise (x̂0 of ddim_eta0.ddim50)', 'ddim_skip10.ddim50: the loop starts there', 'p_sample.50: step 10 sample with the recorded noise',
      'p_cond.50: step 0 via condition_mean (σ from p_sample.50, 2818 elements)', "space_timesteps(1000, 'ddim150') is refused"]) {
      expect(names).toContain(name);
    }
    const failed = results.filter((r) => !r.pass).map(formatResult);
    expect(failed).toEqual([]);
    // The replayed trajectories are far inside the tolerance: the step maths reproduces torch's float32.
    for (const name of ['ddim_eta0.5.ddim50: x per step (UNet, 3 of 50 steps)', 'ddim_skip10.ddim50: x per step (UNet, 3 of 40 steps)',
      'p_sample.50: x per step (UNet, 3 of 50 steps)', 'p_cond.50: x per step (UNet, 3 of 50 steps)', 'p_cond.50: pred_xstart per step (UNet)']) {
      expect(names).toContain(name);
    }
    const trajectories = results.filter((r) => r.name.includes('per step'));
    expect(trajectories.length).toBe(12);
    for (const r of trajectories) expect(r.maxRel, r.name).toBeLessThan(2e-6);
  });
});
