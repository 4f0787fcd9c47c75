import { beforeAll, expect, it } from 'vitest';
import { optimize, serialize } from '../../../src/graph';
import { loadClip, type LoadedClip } from '../../../src/models/clip/state-dict';
import { clipCondFn, type CondFnSetup } from '../../../src/models/guidance/cond-fn';
import { buildGuidanceGraph } from '../../../src/models/guidance/guidance-graph';
import { buildGuidedUnetGraph } from '../../../src/models/unet';
import { hostTensor, type Session } from '../../../src/runtime';
import { coefficientsAt } from '../../../src/sampling/coefficients';
import { applyScaleMultiplier, guidanceFac } from '../../../src/sampling/guidance-input';
import { createRng } from '../../../src/sampling/rng';
import { createSchedule, modelTimestep } from '../../../src/sampling/schedule';
import { describeWithFixtures } from '../../fixtures';
import { wasmRuntime } from '../../helpers/ort';
import { fixtureUnet } from '../unet/fixtures';
import { readReferences, relativeError, withFixture, type RefTensor } from '../clip/reference';

const TOL = 1e-4;
const SHAPE = [1, 3, 32, 32];
const schedule = createSchedule({ steps: 1000, respacing: 'ddim50' });

let ref: Record<string, RefTensor>;
let clip: LoadedClip;
let unet: Session;
let guidance: Session;
const v = (name: string): Float32Array => ref[name]!.data;
const STEP_TENSORS = ['x', 'fac', 'model_t', 'pred_xstart', 'x_in', 'clip_loss_values', 'tv_loss', 'range_loss', 'sat_loss', 'x_in_grad', 'grad_unclamped', 'grad_magnitude', 'grad'];

/** The guided UNet graph at step `index`: pred_xstart and (∂pred_xstart/∂x)ᵀ·cotangent. */
async function unetAt(x: Float32Array, index: number, cotangent: Float32Array) {
  const c = coefficientsAt(schedule, index);
  const out = await unet.run({
    x: hostTensor('float32', SHAPE, x), t: hostTensor('float32', [1], Float32Array.of(modelTimestep(schedule, index))),
    sqrt_recip_alphas_cumprod: hostTensor('float32', [1], Float32Array.of(c.sqrtRecipAlphaBar)),
    sqrt_recipm1_alphas_cumprod: hostTensor('float32', [1], Float32Array.of(c.sqrtRecipm1AlphaBar)),
    pred_xstart_cotangent: hostTensor('float32', SHAPE, cotangent),
  });
  return { predXstart: out.pred_xstart!.data as Float32Array, gradX: out.grad_x!.data as Float32Array };
}

describeWithFixtures('cond_fn through the UNet at 32×32 (guidance group, condfn.t44 / t20)', () => {
  beforeAll(async () => {
    ref = await readReferences('guidance', ['target_embeds', 'weights', ...[44, 20].flatMap((t) => STEP_TENSORS.map((n) => `condfn.t${t}.${n}`))]);
    clip = await withFixture('clip/clip_jit.pt', (ck) => loadClip(ck));
    const { config, weights } = await fixtureUnet('A');
    const runtime = wasmRuntime();
    unet = await runtime.createSession(serialize(optimize(buildGuidedUnetGraph(config, weights))));
    guidance = await runtime.createSession(serialize(optimize(buildGuidanceGraph(clip, { image: { height: 32, width: 32 }, cutn: 8, targets: 2, lossFn: 'spherical', augment: false }))));
  });

  it.each([44, 20])('cur_t %i: loss terms, x_in_grad, the gradient through the UNet and the clamp within 1e-4 × max|ref|', async (index) => {
    const at = (n: string) => v(`condfn.t${index}.${n}`);
    expect(guidanceFac(schedule, index)).toBeCloseTo(at('fac')[0]!, 6);
    expect(modelTimestep(schedule, index)).toBe(at('model_t')[0]);
    const x = at('x');
    const { predXstart } = await unetAt(x, index, new Float32Array(x.length));
    expect(relativeError(predXstart, at('pred_xstart'))).toBeLessThan(TOL);
    const setup: CondFnSetup = {
      schedule, geometry: { height: 32, width: 32, cutSize: 224, cutn: 8 }, cutnBatches: 2, skipAugs: true,
      scales: applyScaleMultiplier({ clipGuidanceScale: 5000, tvScale: 100, rangeScale: 150, saturationScale: 10, initScale: 0 }, 50),
      targets: { embeds: hostTensor('float32', [2, 32], v('target_embeds')), weights: hostTensor('float32', [2], v('weights')) },
      rng: createRng(1), clampGrad: true,
    };
    const r = await clipCondFn(setup, (feeds) => guidance.run(feeds), async (cot) => (await unetAt(x, index, cot)).gradX, x, predXstart, index);
    const checks: [string, ArrayLike<number>][] = [
      ['x_in', r.xIn], ['clip_loss_values', r.clipLosses], ['tv_loss', [r.tvLoss]], ['range_loss', [r.rangeLoss]], ['sat_loss', [r.satLoss]],
      ['x_in_grad', r.xInGrad], ['grad_unclamped', r.gradUnclamped], ['grad_magnitude', [r.magnitude]], ['grad', r.grad],
    ];
    for (const [name, actual] of checks) expect(relativeError(actual, at(name)), name).toBeLessThan(TOL);
  });
});
