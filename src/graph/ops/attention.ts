import { ShapeError } from '../../errors';
import { formatShape, type Tensor } from '../tensor';
import { softmax } from './activation';
import { scalar } from './apply';
import { add, mul } from './elementwise';
import { matmul, transposeLast } from './linalg';
import { reshape, transpose } from './shape';

export interface AttentionOptions {
  /** Multiplies the logits q·kᵀ; default 1/√d (torch's scaled_dot_product_attention). */
  readonly scale?: number;
  /** Added to the scaled logits, broadcastable to [..., Tq, Tk]: a causal mask, a relative position bias, a shift mask. */
  readonly mask?: Tensor;
}

/**
 * Scaled dot-product attention softmax(q·kᵀ·scale + mask)·v for q [..., Tq, d], k [..., Tk, d],
 * v [..., Tk, dv] (batch axes broadcast). guided-diffusion scales q and k by ch^-1/4 each (for fp16
 * range); in float32 that equals one scale of ch^-1/2 on the logits, so pass the product here.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  const d = q.shape[q.shape.length - 1]!;
  const fits = q.shape.length >= 2 && k.shape[k.shape.length - 1] === d && k.shape[k.shape.length - 2] === v.shape[v.shape.length - 2];
  if (!fits) throw new ShapeError(`Attention: q ${formatShape(q.shape)}, k ${formatShape(k.shape)}, v ${formatShape(v.shape)} do not fit`);
  const logits = mul(matmul(q, transposeLast(k)), scalar(q, options.scale ?? 1 / Math.sqrt(d)));
  return matmul(softmax(options.mask ? add(logits, options.mask) : logits, -1), v);
}

/** [..., T, H·d] → [..., H, T, d]: the head layout of torch's nn.MultiheadAttention and of SwinIR. */
export function splitHeads(x: Tensor, heads: number): Tensor {
  const [t, width] = x.shape.slice(-2) as [number, number];
  if (x.shape.length < 2 || width % heads !== 0) throw new ShapeError(`splitHeads: ${heads} heads do not divide the last axis of ${formatShape(x.shape)}`);
  const lead = x.shape.slice(0, -2);
  const perm = [...lead.keys(), lead.length + 1, lead.length, lead.length + 2];
  return transpose(reshape(x, [...lead, t, heads, width / heads]), perm);
}

/** [..., H, T, d] → [..., T, H·d], the inverse of splitHeads. */
export function mergeHeads(x: Tensor): Tensor {
  if (x.shape.length < 3) throw new ShapeError(`mergeHeads: needs [..., H, T, d], got ${formatShape(x.shape)}`);
  const [h, t, d] = x.shape.slice(-3) as [number, number, number];
  const lead = x.shape.slice(0, -3);
  const perm = [...lead.keys(), lead.length + 1, lead.length, lead.length + 2];
  return reshape(transpose(x, perm), [...lead, t, h * d]);
}

/**
 * CLIP's text mask (build_attention_mask): −inf above the diagonal, 0 elsewhere, [T, T], so that a
 * token attends only to itself and earlier tokens.
 */
export function causalMask(like: Tensor, t: number): Tensor {
  const values = Array.from({ length: t * t }, (_, i) => (i % t > Math.floor(i / t) ? -Infinity : 0));
  return like.dtype === 'float64' ? like.graph.constant('float64', [t, t], Float64Array.from(values)) : like.graph.constant('float32', [t, t], Float32Array.from(values));
}
