import {
  add, equal, gather, gelu, type Graph, layerNorm, linear, matmul, mul, reshape, scalar, softmax, split, transpose, type Tensor, where,
} from '../../graph';
import { ShapeError } from '../../errors';
import type { WeightSource } from '../weights';
import { invertPermutation, relativePositionIndex, shiftPermutation, shiftRegionLabels, windowCount, type WindowGrid } from './geometry';

/**
 * The constants every block of one tile graph shares, made once: the relative position index, and
 * for shifted blocks the gathers into and out of the rolled windows and the shift mask. (The
 * permutations are too large for the deduplication pass to hash, so they must not be repeated.)
 */
export interface WindowConstants {
  readonly grid: WindowGrid;
  readonly relativeIndex: Tensor;
  readonly shift?: { readonly into: Tensor; readonly back: Tensor; readonly mask: Tensor };
}

/**
 * The mask is built in the graph from [nW, ws²] region labels rather than stored as the
 * [nW, ws², ws²] array (−100 across regions, as calculate_mask): it is ws² times smaller in the file.
 */
function shiftMaskTensor(g: Graph, grid: WindowGrid, shift: number): Tensor {
  const n = grid.windowSize ** 2;
  const nW = windowCount(grid);
  const labels = g.constant('float32', [nW, 1, n], shiftRegionLabels(grid, shift));
  const same = equal(reshape(labels, [nW, 1, n, 1]), reshape(labels, [nW, 1, 1, n]));
  return where(same, scalar(labels, 0), scalar(labels, -100));
}

export function windowConstants(g: Graph, grid: WindowGrid, anyShifted: boolean): WindowConstants {
  const n = grid.windowSize ** 2;
  const relativeIndex = g.constant('int64', [n, n], relativePositionIndex(grid.windowSize));
  if (!anyShifted) return { grid, relativeIndex };
  // BasicLayer: shift_size = window_size // 2 for the odd blocks.
  const shift = Math.floor(grid.windowSize / 2);
  const perm = shiftPermutation(grid, shift);
  const tokens = [grid.height * grid.width];
  const into = g.constant('int64', tokens, perm);
  const back = g.constant('int64', tokens, invertPermutation(perm));
  return { grid, relativeIndex, shift: { into, back, mask: shiftMaskTensor(g, grid, shift) } };
}

interface AttentionSpec {
  readonly prefix: string;
  readonly dim: number;
  readonly heads: number;
}

/**
 * WindowAttention.forward on tokens [L, C] already in the windows it attends over. q·scale is
 * folded into the q rows of the qkv weight and bias (scale = head_dim^−0.5, qk_scale None).
 */
function windowAttention(x: Tensor, w: WeightSource, k: WindowConstants, { prefix: block, dim, heads }: AttentionSpec, mask?: Tensor): Tensor {
  const g = x.graph;
  const prefix = `${block}attn.`;
  const n = k.grid.windowSize ** 2;
  const nW = windowCount(k.grid);
  const d = dim / heads;
  const rowScale = Float32Array.from({ length: 3 * dim }, (_, i) => (i < dim ? d ** -0.5 : 1));
  const qkvWeight = mul(w.param(g, `${prefix}qkv.weight`, [3 * dim, dim]), g.constant('float32', [3 * dim, 1], rowScale));
  const qkvBias = mul(w.param(g, `${prefix}qkv.bias`, [3 * dim]), g.constant('float32', [3 * dim], rowScale));
  // [L, 3C] viewed as upstream's (3, heads, d) split of the channels.
  const qkv = reshape(linear(x, qkvWeight, qkvBias), [nW, n, 3 * heads, d]);
  const parts = split(qkv, 2, 3);
  const part = (i: number, perm: number[]) => transpose(parts[i]!, perm);
  const table = w.param(g, `${prefix}relative_position_bias_table`, [(2 * k.grid.windowSize - 1) ** 2, heads]);
  const bias = gather(transpose(table, [1, 0]), k.relativeIndex, 1);
  const logits = add(matmul(part(0, [0, 2, 1, 3]), part(1, [0, 2, 3, 1])), bias);
  const probs = softmax(mask ? add(logits, mask) : logits, -1);
  const merged = reshape(transpose(matmul(probs, part(2, [0, 2, 1, 3])), [0, 2, 1, 3]), [nW * n, dim]);
  return linear(merged, w.param(g, `${prefix}proj.weight`, [dim, dim]), w.param(g, `${prefix}proj.bias`, [dim]));
}

export interface BlockSpec extends AttentionSpec {
  readonly mlpHidden: number;
  readonly shifted: boolean;
}

const norm = (x: Tensor, w: WeightSource, name: string, dim: number): Tensor =>
  layerNorm(x, w.param(x.graph, `${name}.weight`, [dim]), w.param(x.graph, `${name}.bias`, [dim]));

/**
 * SwinTransformerBlock.forward on tokens [L, C] in window order: x + attn(norm1(x)), then
 * x + mlp(norm2(x)). A shifted block gathers its tokens into the windows of the image rolled by
 * −shift and back afterwards (torch.roll, window_partition, window_reverse, roll back).
 */
export function swinBlock(x: Tensor, w: WeightSource, k: WindowConstants, spec: BlockSpec): Tensor {
  const { prefix, dim, mlpHidden } = spec;
  const g = x.graph;
  const h = norm(x, w, `${prefix}norm1`, dim);
  if (spec.shifted && !k.shift) throw new ShapeError(`${prefix}: a shifted block needs the shift constants of its tile`);
  const shift = spec.shifted ? k.shift : undefined;
  const attended = windowAttention(shift ? gather(h, shift.into, 0) : h, w, k, spec, shift?.mask);
  const x1 = add(x, shift ? gather(attended, shift.back, 0) : attended);
  const hidden = gelu(linear(norm(x1, w, `${prefix}norm2`, dim), w.param(g, `${prefix}mlp.fc1.weight`, [mlpHidden, dim]), w.param(g, `${prefix}mlp.fc1.bias`, [mlpHidden])));
  return add(x1, linear(hidden, w.param(g, `${prefix}mlp.fc2.weight`, [dim, mlpHidden]), w.param(g, `${prefix}mlp.fc2.bias`, [dim])));
}
