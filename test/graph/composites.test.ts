import { describe, expect, it } from 'vitest';
import {
  add, attention, avgPool2d, causalMask, conv2d, gelu, Graph, groupNorm, layerNorm, linear, mergeHeads, quickGelu, silu, slice, splitHeads, tanh, upsampleNearest,
  type Tensor,
} from '../../src/graph';
import { hostTensor } from '../../src/runtime';
import { expectGradMatches, gradcheck } from '../helpers/gradcheck';
import { maxAbsDiff, runGraph, wasmRuntime } from '../helpers/ort';
import { attentionRef, geluRef, groupNormRef, layerNormRef, linearRef, sigmoidRef } from '../helpers/nn-reference';
import { conv2dRef, ramp } from '../helpers/reference';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Deterministic parameters for forward checks: one ramp per shape, each with its own phase, scaled by 1/√fan-in. */
const params = (shapes: readonly (readonly number[])[]) => shapes.map((s, i) => ramp(size(s), 1 / Math.sqrt(s[s.length - 1]!), 0.37 * i + 0.1));

/** Runs `build` on float32 graph inputs fed with `data` and returns its output. */
async function forward(shapes: readonly (readonly number[])[], data: readonly Float32Array[], build: (xs: readonly Tensor[]) => Tensor): Promise<Float32Array> {
  const g = new Graph('forward');
  const xs = shapes.map((s, i) => g.input(`x${i}`, 'float32', s));
  g.output(build(xs), 'y');
  const out = await runGraph(g, Object.fromEntries(shapes.map((s, i) => [`x${i}`, hostTensor('float32', s, data[i]!)])));
  return out.y!.data as Float32Array;
}

describe('MLP: linear → act → linear → tanh → linear', () => {
  const shapes = [[5, 6], [8, 6], [8], [7, 8], [7], [3, 7], [3]] as const;
  const acts = [
    { name: 'silu', f: silu, ref: (v: number) => v * sigmoidRef(v), dtype: 'float64' as const },
    { name: 'gelu', f: gelu, ref: geluRef, dtype: 'float32' as const },
  ];
  for (const act of acts) {
    const mlp = ([x, w1, b1, w2, b2, w3, b3]: readonly Tensor[]) => linear(tanh(linear(act.f(linear(x!, w1!, b1!)), w2!, b2!)), w3!, b3!);

    it(`forward matches loops (${act.name})`, async () => {
      const data = params(shapes);
      const [x, w1, b1, w2, b2, w3, b3] = data as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
      const h1 = linearRef(x, w1, b1, 6, 8).map(act.ref);
      const expected = linearRef(linearRef(h1, w2, b2, 8, 7).map(Math.tanh), w3, b3, 7, 3);
      expect(maxAbsDiff(await forward(shapes, data, mlp), expected)).toBeLessThan(1e-6);
    });

    it(`gradients for the input and every weight match finite differences (${act.name}, ${act.dtype})`, async () => {
      const options = act.dtype === 'float64' ? { directions: 4, coordinates: 10 } : { directions: 4, coordinates: 10, eps: 3e-3 };
      const r = await gradcheck(wasmRuntime(), { inputs: shapes.map((shape) => ({ shape })), build: mlp, dtype: act.dtype }, options);
      // float32 (no float64 Erf kernel): central differences with eps 3e-3 are good to ~1e-3.
      expectGradMatches(r, act.dtype === 'float64' ? { rtol: 1e-6, atol: 1e-9 } : { rtol: 5e-3, atol: 1e-3 });
    });
  }
});

describe('conv net: two group-norm → SiLU → conv 3×3 stages with a skip, then pool and upsample', () => {
  const shapes = [[2, 4, 6, 6], [4], [4], [4, 4, 3, 3], [4], [4], [4], [4, 4, 3, 3], [4]] as const;
  // guided-diffusion's ResBlock shape (without the timestep embedding): x + conv(silu(gn(conv(silu(gn(x)))))).
  const net = ([x, g1, b1, w1, c1, g2, b2, w2, c2]: readonly Tensor[]) => {
    const stage = (h: Tensor, gamma: Tensor, beta: Tensor, w: Tensor, c: Tensor) => conv2d(silu(groupNorm(h, 2, gamma, beta)), w, c, { padding: 1 });
    const out = add(x!, stage(stage(x!, g1!, b1!, w1!, c1!), g2!, b2!, w2!, c2!));
    return add(out, upsampleNearest(avgPool2d(out, 2), 2));
  };

  it('forward matches loops', async () => {
    const data = params(shapes);
    const [x, g1, b1, w1, c1, g2, b2, w2, c2] = data as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    const stage = (h: ArrayLike<number>, gamma: Float32Array, beta: Float32Array, w: Float32Array, c: Float32Array) => {
      const act = Float32Array.from(groupNormRef(h, 2, 4, 36, 2, 1e-5, gamma, beta), (v) => v * sigmoidRef(v));
      return conv2dRef({ x: act, xShape: [2, 4, 6, 6], w, wShape: [4, 4, 3, 3], b: c, stride: 1, padding: 1, groups: 1 });
    };
    const out = stage(stage(x, g1, b1, w1, c1), g2, b2, w2, c2).map((v, i) => v + x[i]!);
    // 2×2 mean of the block each pixel sits in, added back.
    const blockMean = (i: number) => {
      const [plane, y, xi] = [Math.floor(i / 36), Math.floor(i / 6) % 6, i % 6];
      const [y0, x0] = [y - (y % 2), xi - (xi % 2)];
      return [0, 1, 6, 7].reduce((s, o) => s + out[plane * 36 + y0 * 6 + x0 + o]!, 0) / 4;
    };
    const expected = out.map((v, i) => v + blockMean(i));
    expect(maxAbsDiff(await forward(shapes, data, net), expected)).toBeLessThan(1e-5);
  });

  it('gradients for the input and every weight match finite differences (float32: Conv has no float64 kernel)', async () => {
    const r = await gradcheck(wasmRuntime(), { inputs: shapes.map((shape) => ({ shape })), build: net, dtype: 'float32' }, { directions: 4, coordinates: 10, eps: 3e-3 });
    // float32 with eps 3e-3: truncation error reaches ~1% on high-curvature coordinates (probe
    // derivatives up to ~400), and rounding of a 288-term loss adds ~1e-3 absolute.
    expectGradMatches(r, { rtol: 1e-2, atol: 1e-2 });
  });
});

/** Row-major [B, T, H·d] → per-head [B·H, T, d] arrays, and back. */
const toHeads = (x: ArrayLike<number>, b: number, t: number, h: number, d: number) =>
  Float64Array.from({ length: b * h * t * d }, (_, i) => {
    const [bi, hi, ti, j] = [Math.floor(i / (h * t * d)), Math.floor(i / (t * d)) % h, Math.floor(i / d) % t, i % d];
    return x[(bi * t + ti) * h * d + hi * d + j]!;
  });
const fromHeads = (x: ArrayLike<number>, b: number, t: number, h: number, d: number) =>
  Float64Array.from({ length: b * h * t * d }, (_, i) => {
    const [bi, ti, hi, j] = [Math.floor(i / (t * h * d)), Math.floor(i / (h * d)) % t, Math.floor(i / d) % h, i % d];
    return x[((bi * h + hi) * t + ti) * d + j]!;
  });

/** Loop reference of multi-head self-attention with a packed [3D, D] in-projection (torch nn.MultiheadAttention). */
function mhaRef(x: ArrayLike<number>, wIn: ArrayLike<number>, bIn: ArrayLike<number>, wOut: ArrayLike<number>, bOut: ArrayLike<number>, dims: { b: number; t: number; dm: number; heads: number }, mask?: ArrayLike<number>) {
  const { b, t, dm, heads } = dims;
  const qkv = linearRef(x, wIn, bIn, dm, 3 * dm);
  const part = (k: number) => Float64Array.from({ length: b * t * dm }, (_, i) => qkv[Math.floor(i / dm) * 3 * dm + k * dm + (i % dm)]!);
  const d = dm / heads;
  const [q, k, v] = [0, 1, 2].map((p) => toHeads(part(p), b, t, heads, d)) as [Float64Array, Float64Array, Float64Array];
  const o = attentionRef(q, k, v, { batch: b * heads, tq: t, tk: t, d, dv: d }, 1 / Math.sqrt(d), mask);
  return linearRef(fromHeads(o, b, t, heads, d), wOut, bOut, dm, dm);
}

/** Self-attention with CLIP's packed in_proj: one [3D, D] linear, sliced into q, k, v. */
function mha(x: Tensor, wIn: Tensor, bIn: Tensor, wOut: Tensor, bOut: Tensor, heads: number, mask?: Tensor): Tensor {
  const dm = x.shape[x.shape.length - 1]!;
  const qkv = linear(x, wIn, bIn);
  const [q, k, v] = [0, 1, 2].map((p) => splitHeads(slice(qkv, [-1], [p * dm], [(p + 1) * dm]), heads)) as [Tensor, Tensor, Tensor];
  return linear(mergeHeads(attention(q, k, v, mask ? { mask } : {})), wOut, bOut);
}

describe('multi-head attention block', () => {
  const [b, t, dm, heads] = [2, 5, 8, 2];
  const shapes = [[b, t, dm], [3 * dm, dm], [3 * dm], [dm, dm], [dm]] as const;
  const block = ([x, wIn, bIn, wOut, bOut]: readonly Tensor[]) => mha(x!, wIn!, bIn!, wOut!, bOut!, heads);

  it('forward matches loops', async () => {
    const data = params(shapes);
    const [x, wIn, bIn, wOut, bOut] = data as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    expect(maxAbsDiff(await forward(shapes, data, block), mhaRef(x, wIn, bIn, wOut, bOut, { b, t, dm, heads }))).toBeLessThan(1e-5);
  });

  it('gradients for the input and every weight match finite differences (float64)', async () => {
    const r = await gradcheck(wasmRuntime(), { inputs: shapes.map((shape) => ({ shape })), build: block, dtype: 'float64' }, { directions: 4, coordinates: 10 });
    expectGradMatches(r, { rtol: 1e-6, atol: 1e-9 });
  });
});

describe('pre-LN transformer block (CLIP ResidualAttentionBlock, causal)', () => {
  const [b, t, dm, heads] = [2, 4, 8, 2];
  const shapes = [[b, t, dm], [dm], [dm], [3 * dm, dm], [3 * dm], [dm, dm], [dm], [dm], [dm], [4 * dm, dm], [4 * dm], [dm, 4 * dm], [dm]] as const;
  // x = x + attn(ln_1(x)); x = x + c_proj(quick_gelu(c_fc(ln_2(x)))).
  const block = ([x, l1w, l1b, wIn, bIn, wOut, bOut, l2w, l2b, wFc, bFc, wProj, bProj]: readonly Tensor[]) => {
    const h = add(x!, mha(layerNorm(x!, l1w!, l1b!), wIn!, bIn!, wOut!, bOut!, heads, causalMask(x!, t)));
    return add(h, linear(quickGelu(linear(layerNorm(h, l2w!, l2b!), wFc!, bFc!)), wProj!, bProj!));
  };

  it('forward matches loops', async () => {
    const data = params(shapes);
    const [x, l1w, l1b, wIn, bIn, wOut, bOut, l2w, l2b, wFc, bFc, wProj, bProj] = data;
    const mask = Array.from({ length: t * t }, (_, i) => (i % t > Math.floor(i / t) ? -Infinity : 0));
    const attn = mhaRef(layerNormRef(x!, dm, 1e-5, l1w, l1b), wIn!, bIn!, wOut!, bOut!, { b, t, dm, heads }, mask);
    const h = attn.map((v, i) => v + x![i]!);
    const fc = linearRef(layerNormRef(h, dm, 1e-5, l2w, l2b), wFc!, bFc!, dm, 4 * dm).map((v) => v * sigmoidRef(1.702 * v));
    const expected = linearRef(fc, wProj!, bProj!, 4 * dm, dm).map((v, i) => v + h[i]!);
    expect(maxAbsDiff(await forward(shapes, data, block), expected)).toBeLessThan(1e-5);
  });

  it('gradients for the input and every weight match finite differences (float64)', async () => {
    const r = await gradcheck(wasmRuntime(), { inputs: shapes.map((shape) => ({ shape })), build: block, dtype: 'float64' }, { directions: 4, coordinates: 13 });
    expectGradMatches(r, { rtol: 1e-6, atol: 1e-9 });
  });
});
