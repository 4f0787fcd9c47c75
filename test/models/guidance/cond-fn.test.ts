import { beforeAll, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { memorySource } from '../../../src/checkpoint';
import { grad, Graph, optimize, serialize } from '../../../src/graph';
import { buildLpipsTermGraph, loadLpips, lpips } from '../../../src/models/lpips';
import { loadClip, type LoadedClip } from '../../../src/models/clip/state-dict';
import { clipCondFn, type CondFnSetup, type Guide } from '../../../src/models/guidance/cond-fn';
import { buildGuidanceGraph } from '../../../src/models/guidance/guidance-graph';
import { buildGuidedUnetGraph } from '../../../src/models/unet';
import { hostTensor, type Session } from '../../../src/runtime';
import { coefficientsAt } from '../../../src/sampling/coefficients';
import { applyScaleMultiplier, guidanceFac } from '../../../src/sampling/guidance-input';
import { createRng, type Rng } from '../../../src/sampling/rng';
import { createSchedule, modelTimestep } from '../../../src/sampling/schedule';
import { describeWithFixtures, fixturePath } from '../../fixtures';
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

/** The fixture CLIP's guidance graph as a guide (cut size 224: larger than the padded 48², so every cutout is the whole image). */
const fixtureGuide = (rng: Rng, weight = 1): Guide => ({
  run: (feeds) => guidance.run(feeds), cutSize: 224, rng, weight,
  targets: { embeds: hostTensor('float32', [2, 32], v('target_embeds')), weights: hostTensor('float32', [2], v('weights')) },
});

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
      schedule, geometry: { height: 32, width: 32, cutn: 8 }, cutnBatches: 2, skipAugs: true,
      scales: applyScaleMultiplier({ clipGuidanceScale: 5000, tvScale: 100, rangeScale: 150, saturationScale: 10, initScale: 0 }, 50),
      guides: [fixtureGuide(createRng(1))], clampGrad: true,
    };
    const r = await clipCondFn(setup, async (cot) => (await unetAt(x, index, cot)).gradX, x, predXstart, index);
    const checks: [string, ArrayLike<number>][] = [
      ['x_in', r.xIn], ['clip_loss_values', r.clipLosses], ['tv_loss', [r.tvLoss]], ['range_loss', [r.rangeLoss]], ['sat_loss', [r.satLoss]],
      ['x_in_grad', r.xInGrad], ['grad_unclamped', r.gradUnclamped], ['grad_magnitude', [r.magnitude]], ['grad', r.grad],
    ];
    for (const [name, actual] of checks) expect(relativeError(actual, at(name)), name).toBeLessThan(TOL);
  });

  it('the init term adds d(init_scale · LPIPS(x_in, init))/dx_in to x_in_grad and reports LPIPS (fixture VGG16 and linear weights)', async () => {
    const index = 44;
    const x = v(`condfn.t${index}.x`);
    const { predXstart } = await unetAt(x, index, new Float32Array(x.length));
    const file = (name: string) => memorySource(new Uint8Array(readFileSync(fixturePath('lpips', name))));
    const model = await loadLpips(file('vgg16_small_legacy.pth'), file('lin_small_legacy.pth'));
    const runtime = wasmRuntime();
    const term = await runtime.createSession(serialize(optimize(buildLpipsTermGraph(model, { height: 32, width: 32 }))));
    const initImage = hostTensor('float32', SHAPE, createRng(3).fillNormal(new Float32Array(3 * 32 * 32)).map((n) => Math.max(-1, Math.min(1, 0.4 * n))));
    const setup = (init: boolean, others = 1): CondFnSetup => ({
      schedule, geometry: { height: 32, width: 32, cutn: 8 }, cutnBatches: 1, skipAugs: true,
      scales: applyScaleMultiplier({ clipGuidanceScale: 5000 * others, tvScale: 100 * others, rangeScale: 150 * others, saturationScale: 10 * others, initScale: 1000 }, 50),
      guides: [fixtureGuide(createRng(1))], clampGrad: true, ...(init && { init: { image: initImage, scale: 1000, run: (feeds) => term.run(feeds) } }),
    });
    const condFn = (s: CondFnSetup) => clipCondFn(s, async (cot) => (await unetAt(x, index, cot)).gradX, x, predXstart, index);
    const alone = await condFn(setup(true, 0));
    // The other terms scaled down to the init term's size, so that its share of the sum shows.
    const without = await condFn(setup(false, 1e-3));
    const withInit = await condFn(setup(true, 1e-3));
    expect(without.initLoss).toBeUndefined();

    // The same term from LPIPS and grad written out here, at the x_in cond_fn used.
    const g = new Graph('lpips-reference');
    const xIn = g.input('x', 'float32', SHAPE);
    const { total } = lpips(model, xIn, g.input('init', 'float32', SHAPE));
    g.output(total, 'lpips');
    g.output(grad([total], [xIn], [g.constant('float32', [1, 1, 1, 1], Float32Array.of(1000))])[0]!, 'grad');
    const reference = await (await runtime.createSession(serialize(optimize(g)))).run({ x: hostTensor('float32', SHAPE, withInit.xIn), init: initImage });
    const referenceGrad = reference.grad!.data as Float32Array;
    expect(withInit.initLoss).toBeGreaterThan(0);
    expect(withInit.initLoss).toBeCloseTo((reference.lpips!.data as Float32Array)[0]!, 6);
    // With every other scale 0, x_in_grad is the term itself; with them, the term is added to theirs.
    expect(relativeError(alone.xInGrad, referenceGrad)).toBeLessThan(TOL);
    expect(relativeError(withInit.xInGrad, without.xInGrad.map((w, i) => Math.fround(w + referenceGrad[i]!)))).toBeLessThan(1e-5);
    expect(relativeError(withInit.gradUnclamped, without.gradUnclamped)).toBeGreaterThan(1e-3);
  });
});
