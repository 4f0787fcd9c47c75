import { beforeAll, expect, it } from 'vitest';
import { nodeFixtureDir } from '../../src/cli/commands/conformance';
import { diffusionChecks } from '../../src/cli/conformance/diffusion-model';
import { guidanceE2e } from '../../src/cli/conformance/guidance-e2e';
import { formatResult } from '../../src/cli/conformance/results';
import type { CheckResult, FixtureDir } from '../../src/cli/conformance/types';
import { describeWithFixtures, FIXTURES_DIR } from '../fixtures';
import { groupContext } from '../helpers/conformance';
import { asF32, asF64, f32Tensor, get, readGroup, rows, setTensor, withGroups, type EditableGroup } from './relabelled-fixtures';

/**
 * The harness reads every case from the fixture's own JSON: fed the public references relabelled
 * as another fixture set from the same generator would name and parameterise them, it checks the
 * runs that are there (and passes), and it names what it cannot read.
 */
const collect = async (checks: AsyncIterable<CheckResult>): Promise<CheckResult[]> => {
  const out: CheckResult[] = [];
  for await (const r of checks) out.push(r);
  return out;
};

const failures = (results: CheckResult[]) => results.filter((r) => !r.pass).map(formatResult);
const names = (results: CheckResult[]) => results.map((r) => r.name);

/**
 * diffusion: the skip run becomes `ddim_skip7.ddim25`, cut from the η = 0 ddim25 trajectory (its
 * step 6 output is the new start, so the init image is what q_sample(·, 17, x_T) turns into it),
 * settings.skip_run says so, and the η = 0 ddim50 run is gone.
 */
function relabelDiffusion(g: EditableGroup): void {
  const [source, skip] = ['ddim_eta0.ddim25', 7];
  const first = get(g, 'sched.ddim25.timestep_map').shape[0]! - skip - 1;
  const a = Math.fround(asF64(get(g, 'sched.ddim25.sqrt_alphas_cumprod'))[first]!);
  const b = Math.fround(asF64(get(g, 'sched.ddim25.sqrt_one_minus_alphas_cumprod'))[first]!);
  const xStart = asF32(rows(get(g, `${source}.x`), skip - 1, skip));
  const xT = asF32(get(g, 'x_T'));
  const shape = get(g, 'x_T').shape;
  for (const name of [...g.tensors.keys()].filter((n) => n.startsWith('ddim_skip') || n.startsWith('ddim_eta0.ddim50.'))) setTensor(g, name, undefined);
  const run = `ddim_skip${skip}.ddim25`;
  setTensor(g, 'init_image', f32Tensor(shape, Float32Array.from(xStart, (x, i) => (x - b * xT[i]!) / a)));
  setTensor(g, `${run}.x_start`, f32Tensor(shape, xStart));
  for (const q of ['t_index', 'model_t', 'x']) setTensor(g, `${run}.${q}`, rows(get(g, `${source}.${q}`), skip));
  g.manifest.settings.skip_run = { respacing: 'ddim25', skip_timesteps: skip, first_index: first };
}

/**
 * guidance e2e: the same run as sample() with skip_timesteps 46 instead of 5 (its x_T scaled so
 * that q_sample(0, 3, x_T) is the original's step-40 output), 4 steps instead of 45, and its
 * prompts as their own setting with other weights of the same ratio, in the other order.
 */
function relabelE2e(g: EditableGroup, alphaBar: Float64Array): void {
  const [done, steps] = [41, 4];
  const e2e = g.manifest.settings.e2e as Record<string, unknown>;
  const first = alphaBar.length - (Number(e2e.skip_timesteps) + done) - 1;
  const start = asF32(rows(get(g, 'e2e.x'), done - 1, done));
  const scale = Math.fround(Math.sqrt(1 - alphaBar[first]!));
  setTensor(g, 'e2e.noise', f32Tensor(get(g, 'e2e.noise').shape, start.map((x) => x / scale)));
  for (const q of ['x', 'pred_xstart', 'cond_t', 'cond_grad']) setTensor(g, `e2e.${q}`, rows(get(g, `e2e.${q}`), done));
  setTensor(g, 'e2e.clip_loss_values', rows(get(g, 'e2e.clip_loss_values'), 2 * done));
  expect(get(g, 'e2e.x').shape[0]).toBe(steps);
  const [painting, artstation] = (g.manifest.settings.guidance as { prompts: string[] }).prompts.map((p) => p.slice(0, p.lastIndexOf(':')));
  g.manifest.settings.e2e = { ...e2e, skip_timesteps: Number(e2e.skip_timesteps) + done, prompts: [`${artstation}:-1`, `${painting}:4`] };
}

describeWithFixtures('conformance on a relabelled fixture set (runs renamed and re-parameterised)', () => {
  const base: FixtureDir = nodeFixtureDir(FIXTURES_DIR);
  let diffusion: EditableGroup;
  let guidance: EditableGroup;

  beforeAll(async () => {
    [diffusion, guidance] = await Promise.all([readGroup(base, 'diffusion'), readGroup(base, 'guidance')]);
  });

  it('diffusion: a skip run of another respacing and count, with one η = 0 run gone, is found and passes', { timeout: 180_000 }, async () => {
    relabelDiffusion(diffusion);
    const results = await collect(diffusionChecks(await groupContext('diffusion', withGroups(base, { diffusion })), 3));
    expect(failures(results)).toEqual([]);
    expect(names(results)).toEqual(expect.arrayContaining([
      "settings.skip_run (skip 7, 'ddim25') is a recorded run", 'ddim_skip7.ddim25: step indices and model timesteps',
      'ddim_skip7.ddim25: x_start = q_sample(init, 17, x_T)', 'ddim_skip7.ddim25: the loop starts there', 'ddim_skip7.ddim25: x per step (UNet, 3 of 18 steps)',
      'ddim_eta0.ddim25: x per step (replayed model output, 25 steps)', 'p_sample.50.detail: mean',
    ]));
    expect(results.filter((r) => /ddim_skip10|ddim_eta0\.ddim50/.test(r.name + (r.detail ?? '')))).toEqual([]);
  });

  it('diffusion: a run whose step noise was removed is a FAIL line naming the missing tensor', { timeout: 180_000 }, async () => {
    const g = await readGroup(base, 'diffusion');
    setTensor(g, 'p_sample.50.noise', undefined);
    const results = await collect(diffusionChecks(await groupContext('diffusion', withGroups(base, { diffusion: g })), 1));
    expect(failures(results)).toHaveLength(1);
    expect(results.find((r) => !r.pass)).toMatchObject({ name: 'run p_sample.50', detail: 'cannot check: p_sample.50.noise not recorded' });
  });

  it('diffusion: a run kind the harness does not know is a FAIL line, not a silent skip', { timeout: 180_000 }, async () => {
    const g = await readGroup(base, 'diffusion');
    for (const q of ['t_index', 'model_t', 'x']) setTensor(g, `plms.ddim25.${q}`, get(g, `ddim_eta0.ddim25.${q}`));
    const results = await collect(diffusionChecks(await groupContext('diffusion', withGroups(base, { diffusion: g })), 1));
    expect(failures(results)).toEqual([expect.stringContaining("run plms.ddim25")]);
    expect(results.find((r) => !r.pass)?.detail).toMatch(/cannot interpret: 'plms' is not a run kind/);
  });

  it('guidance e2e: 4 steps from skip 46 with the prompts re-weighted and reordered are replayed and pass', { timeout: 180_000 }, async () => {
    // The e2e run's respacing (ddim50), whose ᾱ the diffusion group records.
    relabelE2e(guidance, asF64(get(diffusion, `sched.${(guidance.manifest.settings.e2e as { sampling: string }).sampling}.alphas_cumprod`)));
    const results = await collect(guidanceE2e(await groupContext('guidance', withGroups(base, { guidance }))));
    expect(failures(results)).toEqual([]);
    expect(names(results)).toEqual(expect.arrayContaining([
      'e2e: 4 recorded steps = ddim50 − skip 46', 'e2e x (4 steps)', 'e2e pred_xstart (4 steps)', 'e2e cond_grad (4 steps)', 'e2e clip_loss_values (4 steps × 2)', 'e2e final', 'e2e final_sr (swinir/swinir_M.pth)',
    ]));
  });

  it('guidance e2e: a removed tensor is a FAIL line that names it', { timeout: 60_000 }, async () => {
    const g = await readGroup(base, 'guidance');
    setTensor(g, 'e2e.noise', undefined);
    const results = await collect(guidanceE2e(await groupContext('guidance', withGroups(base, { guidance: g }))));
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ pass: false, name: 'e2e sample()' });
    expect(results[0]!.detail).toContain('e2e.noise is missing');
  });
});
