import {
  add, attention, avgPool2d, concat, conv2d, cos, groupNorm, linear, mul, reshape, scalar, silu, sin, split, transpose, upsampleNearest,
  type Graph, type Tensor,
} from '../../graph';
import type { WeightSource } from '../weights';
import { GROUPS } from './config';

/** What every block builder needs: the graph, the parameters, and SiLU(emb) (each ResBlock's emb_layers starts with SiLU). */
export interface BlockContext {
  readonly graph: Graph;
  readonly weights: WeightSource;
  readonly embSilu: Tensor;
  readonly useScaleShiftNorm: boolean;
  readonly useNewAttentionOrder: boolean;
}

/** Enough to read parameters: the graph and the weight source. */
export type Params = Pick<BlockContext, 'graph' | 'weights'>;

const channels = (x: Tensor): number => x.shape[1]!;

/** conv_nd(2, cin, cout, k, stride, padding=k//2) with its bias, parameters `${name}.weight/bias`. */
export function conv(ctx: Params, name: string, x: Tensor, cout: number, k: number, stride = 1): Tensor {
  const w = ctx.weights.param(ctx.graph, `${name}.weight`, [cout, channels(x), k, k]);
  const b = ctx.weights.param(ctx.graph, `${name}.bias`, [cout]);
  return conv2d(x, w, b, { stride, padding: (k - 1) / 2 });
}

/** GroupNorm32(32, C), eps 1e-5, computed in float32 (the graph is float32 throughout). */
export function norm(ctx: Params, name: string, x: Tensor): Tensor {
  const c = channels(x);
  return groupNorm(x, GROUPS, ctx.weights.param(ctx.graph, `${name}.weight`, [c]), ctx.weights.param(ctx.graph, `${name}.bias`, [c]), 1e-5);
}

export function linearParam(ctx: Params, name: string, x: Tensor, out: number): Tensor {
  const inp = x.shape[x.shape.length - 1]!;
  return linear(x, ctx.weights.param(ctx.graph, `${name}.weight`, [out, inp]), ctx.weights.param(ctx.graph, `${name}.bias`, [out]));
}

/**
 * guided-diffusion's timestep_embedding(t, dim): freqs_i = exp(−ln(10000)·i/half), i < half = dim//2,
 * [cos(t·freqs), sin(t·freqs)] (cos first), a zero column when dim is odd. Upstream builds freqs in
 * float32 (a float32 arange times the float scalar, divided by half, then exp); the table here is
 * rounded at the same steps so t·freqs agrees with torch's to the last bit before cos/sin.
 */
export function timestepEmbedding(t: Tensor, dim: number): Tensor {
  const half = Math.floor(dim / 2);
  const scale = Math.fround(-Math.log(10000));
  const freqs = Float32Array.from({ length: half }, (_, i) => Math.exp(Math.fround(Math.fround(scale * i) / half)));
  const args = mul(reshape(t, [t.shape[0]!, 1]), t.graph.constant('float32', [1, half], freqs));
  const parts = [cos(args), sin(args)];
  if (dim % 2 === 1) parts.push(t.graph.constant('float32', [t.shape[0]!, 1], new Float32Array(t.shape[0]!)));
  return concat(parts, 1);
}

/** The emb_layers output, shaped [B, C', 1, 1] to broadcast over the feature map. */
function embOut(ctx: BlockContext, name: string, width: number): Tensor {
  const e = linearParam(ctx, `${name}.emb_layers.1`, ctx.embSilu, width);
  return reshape(e, [e.shape[0]!, width, 1, 1]);
}

/** Second half of a ResBlock: timestep conditioning, out_layers (dropout inert), zero-initialised conv. */
function resBlockOut(ctx: BlockContext, name: string, h: Tensor, cout: number): Tensor {
  const e = embOut(ctx, name, ctx.useScaleShiftNorm ? 2 * cout : cout);
  let normed: Tensor;
  if (ctx.useScaleShiftNorm) {
    // scale, shift = chunk(emb_out, 2, dim=1); out_norm(h)·(1 + scale) + shift.
    const [scale, shift] = split(e, 1, 2) as [Tensor, Tensor];
    normed = add(mul(norm(ctx, `${name}.out_layers.0`, h), add(scalar(scale, 1), scale)), shift);
  } else {
    normed = norm(ctx, `${name}.out_layers.0`, add(h, e));
  }
  return conv(ctx, `${name}.out_layers.3`, silu(normed), cout, 3);
}

export type Resample = 'none' | 'up' | 'down';

/**
 * ResBlock(C_in → cout): in_layers (GN, SiLU, conv 3×3), with up/down sampling of both h (after
 * GN+SiLU, before the conv) and x when it is an up/down ResBlock (nearest ×2 / avg-pool 2, no conv);
 * then resBlockOut, plus the skip (identity, or a 1×1 conv when the width changes).
 */
export function resBlock(ctx: BlockContext, name: string, x: Tensor, cout: number, resample: Resample = 'none'): Tensor {
  const cin = channels(x);
  let h = silu(norm(ctx, `${name}.in_layers.0`, x));
  let skip = x;
  if (resample !== 'none') {
    const f = (v: Tensor) => (resample === 'up' ? upsampleNearest(v, 2) : avgPool2d(v, 2));
    h = f(h);
    skip = f(x);
  }
  h = conv(ctx, `${name}.in_layers.2`, h, cout, 3);
  const out = resBlockOut(ctx, name, h, cout);
  return add(cin === cout ? skip : conv(ctx, `${name}.skip_connection`, skip, cout, 1), out);
}

/**
 * Splits qkv [B, 3C, T] into q, k, v of [B, heads, T, ch]. Legacy order (QKVAttentionLegacy): heads
 * first, each head's channels are its own q|k|v; new order (QKVAttention): q, k, v first
 * (chunk(3, dim=1)), then heads.
 */
function splitQkv(qkv: Tensor, heads: number, newOrder: boolean): [Tensor, Tensor, Tensor] {
  const [b, width, t] = qkv.shape as [number, number, number];
  const ch = width / (3 * heads);
  const grouped = newOrder ? transpose(reshape(qkv, [b, 3, heads, ch, t]), [1, 0, 2, 4, 3]) : transpose(reshape(qkv, [b, heads, 3, ch, t]), [2, 0, 1, 4, 3]);
  return split(grouped, 0, 3).map((part) => reshape(part, [b, heads, t, ch])) as [Tensor, Tensor, Tensor];
}

/**
 * AttentionBlock(C, heads): x + proj_out(attention(qkv(norm(x)))), over the T = H·W positions.
 * Upstream scales q and k by ch^−1/4 each; in float32 that is one ch^−1/2 on the logits. The 1-D
 * convolutions' weights [O, I, 1] are used as 1×1 Conv2d [O, I, 1, 1].
 */
export function attentionBlock(ctx: BlockContext, name: string, x: Tensor, heads: number): Tensor {
  const [b, c, hgt, wid] = x.shape as [number, number, number, number];
  const w = (suffix: string, out: number) => [
    ctx.weights.param(ctx.graph, `${name}.${suffix}.weight`, [out, c, 1], [out, c, 1, 1]),
    ctx.weights.param(ctx.graph, `${name}.${suffix}.bias`, [out]),
  ] as const;
  // norm's parameters first, then qkv's: the state dict's order, which parameter lists follow.
  const normed = norm(ctx, `${name}.norm`, x);
  const [wq, bq] = w('qkv', 3 * c);
  const qkv = conv2d(normed, wq, bq);
  const [q, k, v] = splitQkv(reshape(qkv, [b, 3 * c, hgt * wid]), heads, ctx.useNewAttentionOrder);
  const ch = c / heads;
  const a = attention(q, k, v, { scale: 1 / Math.sqrt(ch) });
  const merged = reshape(transpose(a, [0, 1, 3, 2]), [b, c, hgt, wid]);
  const [wp, bp] = w('proj_out', c);
  return add(x, conv2d(merged, wp, bp));
}

/** Downsample: conv 3×3 stride 2 padding 1 (`op`) with conv_resample, else avg-pool 2. */
export function downsample(ctx: BlockContext, name: string, x: Tensor, convResample: boolean): Tensor {
  return convResample ? conv(ctx, `${name}.op`, x, channels(x), 3, 2) : avgPool2d(x, 2);
}

/** Upsample: nearest ×2, then conv 3×3 (`conv`) with conv_resample. */
export function upsample(ctx: BlockContext, name: string, x: Tensor, convResample: boolean): Tensor {
  const up = upsampleNearest(x, 2);
  return convResample ? conv(ctx, `${name}.conv`, up, channels(x), 3) : up;
}
