import { describe, expect, it } from 'vitest';
import { opsOffWebGpu, optimize, serialize, type Graph } from '../../../src/graph';
import { buildGuidedUnetGraph, resolveConfig, type UnetConfig } from '../../../src/models/unet';
import { SeededWeights, type WeightSource } from '../../../src/models/weights';
import { hostTensor, type HostTensor } from '../../../src/runtime';
import { createRng } from '../../../src/sampling/rng';
import { describeWithFixtures } from '../../fixtures';
import { wasmRuntime } from '../../helpers/ort';
import { fixtureUnet, get, readReferences, relError } from './fixtures';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

const coefficients = (recip: number, recipm1: number) => ({
  sqrt_recip_alphas_cumprod: hostTensor('float32', [1], Float32Array.of(recip)),
  sqrt_recipm1_alphas_cumprod: hostTensor('float32', [1], Float32Array.of(recipm1)),
});

/**
 * Central differences of L(x) = <g, pred_xstart(x)> along random directions v against <grad_x, v>,
 * all through the guided graph's own outputs (float32: eps 1e-2 leaves ~1e-4 of truncation and rounding).
 */
interface Check {
  readonly analytic: number;
  readonly numeric: number;
  readonly gradNorm: number;
}

async function directionalChecks(graph: Graph, feeds: Record<string, HostTensor>, directions: number): Promise<Check[]> {
  const session = await wasmRuntime().createSession(serialize(optimize(graph)));
  const x = feeds.x!.data as Float32Array;
  const g = feeds.pred_xstart_cotangent!.data as Float32Array;
  const base = await session.run(feeds);
  const rng = createRng(7);
  const eps = 1e-2;
  const loss = async (v: Float64Array, sign: number) => {
    const shifted = x.map((xi, i) => xi + sign * eps * v[i]!);
    return dot(g, (await session.run({ ...feeds, x: hostTensor('float32', feeds.x!.shape, shifted) })).pred_xstart!.data as Float32Array);
  };
  const out = [];
  for (let d = 0; d < directions; d++) {
    const v = rng.fillNormal(new Float64Array(x.length));
    const gx = base.grad_x!.data as Float32Array;
    out.push({ analytic: dot(gx, v), numeric: ((await loss(v, 1)) - (await loss(v, -1))) / (2 * eps), gradNorm: Math.sqrt(dot(gx, gx)) });
  }
  await session.dispose();
  return out;
}

function randomFeeds(config: UnetConfig, batch: number, size: number, t: number): Record<string, HostTensor> {
  const rng = createRng(3);
  const shape = [batch, 3, size, size];
  const n = batch * 3 * size * size;
  return {
    x: hostTensor('float32', shape, rng.fillNormal(new Float32Array(n))),
    t: hostTensor('float32', [batch], new Float32Array(batch).fill(t)),
    ...(config.numClasses === null ? {} : { y: hostTensor('int64', [batch], BigInt64Array.from({ length: batch }, (_, i) => BigInt(i * 7))) }),
    ...coefficients(1.3, 0.8),
    pred_xstart_cotangent: hostTensor('float32', shape, rng.fillNormal(new Float32Array(n))),
  };
}

/**
 * |analytic − numeric| ≤ 2e-3·max(|analytic|, |numeric|) + 1e-3·‖grad_x‖: float32 forwards make the
 * central difference noisy at ~1e-5 of L, which is ~1e-3 of a typical directional derivative
 * (~‖grad_x‖ for a unit-variance direction); a wrong gradient term misses by O(‖grad_x‖).
 */
function expectClose(checks: Check[]): void {
  for (const { analytic, numeric, gradNorm } of checks) {
    expect(Math.abs(analytic - numeric)).toBeLessThanOrEqual(2e-3 * Math.max(Math.abs(analytic), Math.abs(numeric)) + 1e-3 * gradNorm);
  }
}

describe('guidance form on a seeded UNet (scale-shift, resblock up/down, new attention order, class labels)', () => {
  const config = resolveConfig({
    image_size: 16, num_channels: 32, channel_mult: '1,2', num_res_blocks: 1, attention_resolutions: '8', num_head_channels: 16,
    use_scale_shift_norm: true, resblock_updown: true, use_new_attention_order: true, class_cond: true, learn_sigma: true,
  });
  const weights: WeightSource = new SeededWeights(11);

  it('grad_x matches central differences of its own pred_xstart', async () => {
    const graph = buildGuidedUnetGraph(config, weights, { batch: 2 });
    expectClose(await directionalChecks(graph, randomFeeds(config, 2, 16, 640), 3));
  });

  it('every op of the guidance graph runs on the WebGPU EP', () => {
    expect(opsOffWebGpu(optimize(buildGuidedUnetGraph(config, new SeededWeights(11), { batch: 1 })))).toEqual([]);
  });
});

describeWithFixtures('guidance form on UNet A against upstream cond_fn', () => {
  it('grad_x matches central differences with the checkpoint weights', async () => {
    const { config, weights } = await fixtureUnet('A');
    const graph = buildGuidedUnetGraph(config, weights, { batch: 1 });
    expectClose(await directionalChecks(graph, randomFeeds(config, 1, 32, 500), 2));
  });

  it.each([44, 20])('cur_t %i: pred_xstart and −(fac·grad_x + (1−fac)·x_in_grad) = condfn grad_unclamped within 1e-4·max|ref|', async (step) => {
    const [guidance, diffusion] = await Promise.all([readReferences('guidance/guidance_ref.safetensors'), readReferences('diffusion/diffusion_ref.safetensors')]);
    const { config, weights } = await fixtureUnet('A');
    const p = `condfn.t${step}.`;
    // _extract_into_tensor: the float64 schedule value at the respaced index, cast to float32.
    const sched = (name: string) => (get(diffusion, `sched.ddim50.${name}`).data as Float64Array)[step]!;
    const xInGrad = get(guidance, `${p}x_in_grad`).data as Float32Array;
    const session = await wasmRuntime().createSession(serialize(optimize(buildGuidedUnetGraph(config, weights, { batch: 1 }))));
    const out = await session.run({
      x: get(guidance, `${p}x`), t: get(guidance, `${p}model_t`), ...coefficients(sched('sqrt_recip_alphas_cumprod'), sched('sqrt_recipm1_alphas_cumprod')),
      pred_xstart_cotangent: get(guidance, `${p}x_in_grad`),
    });
    await session.dispose();
    expect(relError(out.pred_xstart!.data as Float32Array, get(guidance, `${p}pred_xstart`).data as Float32Array)).toBeLessThan(1e-4);
    // x_in = pred_xstart·fac + x·(1 − fac) with fac a Python float: torch multiplies in float32.
    const fac = (get(guidance, `${p}fac`).data as Float64Array)[0]!;
    const [f, g] = [Math.fround(fac), Math.fround(1 - fac)];
    const grad = (out.grad_x!.data as Float32Array).map((v, i) => -(f * v + g * xInGrad[i]!));
    expect(relError(grad, get(guidance, `${p}grad_unclamped`).data as Float32Array)).toBeLessThan(1e-4);
  });
});
