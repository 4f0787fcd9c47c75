import { add, attention, gelu, layerNorm, linear, mergeHeads, quickGelu, slice, split, splitHeads, type Tensor } from '../../graph';
import type { ClipArchitecture } from './architecture';
import type { Param } from './params';

export interface TowerOptions {
  readonly width: number;
  readonly heads: number;
  readonly layers: number;
  /** Additive attention mask [T, T] (the text tower's causal mask). */
  readonly mask?: Tensor;
  /**
   * Only the first `outputRows` tokens of the output are read (the vision tower reads its class
   * token): the last block then attends from those queries alone and runs its MLP on them. Every
   * op is per token there, so the kept rows are unchanged, and the gradient graph loses a block's
   * worth of MLP and projection work (≈ 6 % of ViT-B/16's FLOPs, forward and backward).
   */
  readonly outputRows?: number;
}

const firstRows = (x: Tensor, rows: number | undefined): Tensor => (rows === undefined ? x : slice(x, [-2], [0], [rows]));

/** nn.MultiheadAttention(x, x, x) with CLIP's packed in_proj [3W, W] split into q, k, v; queries from the first `rows` tokens when given. */
function selfAttention(x: Tensor, p: Param, prefix: string, o: TowerOptions, rows: number | undefined): Tensor {
  const w = o.width;
  const packed = linear(x, p(`${prefix}in_proj_weight`, [3 * w, w]), p(`${prefix}in_proj_bias`, [3 * w]));
  const [q, k, v] = split(packed, -1, 3).map((t) => splitHeads(t, o.heads)) as [Tensor, Tensor, Tensor];
  const mixed = mergeHeads(attention(firstRows(q, rows), k, v, o.mask ? { mask: o.mask } : {}));
  return linear(mixed, p(`${prefix}out_proj.weight`, [w, w]), p(`${prefix}out_proj.bias`, [w]));
}

/** ResidualAttentionBlock: pre-LN attention and MLP (c_fc → QuickGELU → c_proj), each added back; for the first `rows` tokens only when given. */
function residualBlock(x: Tensor, p: Param, prefix: string, o: TowerOptions, a: ClipArchitecture, rows?: number): Tensor {
  const w = o.width;
  const ln = (name: string, t: Tensor) => layerNorm(t, p(`${prefix}${name}.weight`, [w]), p(`${prefix}${name}.bias`, [w]), a.layerNormEps);
  const h = add(firstRows(x, rows), selfAttention(ln('ln_1', x), p, `${prefix}attn.`, o, rows));
  const fc = linear(ln('ln_2', h), p(`${prefix}mlp.c_fc.weight`, [4 * w, w]), p(`${prefix}mlp.c_fc.bias`, [4 * w]));
  const act = a.activation === 'gelu' ? gelu(fc) : quickGelu(fc);
  return add(h, linear(act, p(`${prefix}mlp.c_proj.weight`, [w, 4 * w]), p(`${prefix}mlp.c_proj.bias`, [w])));
}

/** CLIP's Transformer over x [N, T, W] (batch first here; upstream permutes to [T, N, W], which changes nothing); [N, outputRows, W] when given. */
export function transformerTower(x: Tensor, p: Param, prefix: string, o: TowerOptions, a: ClipArchitecture): Tensor {
  let h = x;
  for (let i = 0; i < o.layers; i++) h = residualBlock(h, p, `${prefix}resblocks.${i}.`, o, a, i === o.layers - 1 ? o.outputRows : undefined);
  return h;
}

/** CLIP's LayerNorm (fp32 statistics) with the named weight and bias. */
export const clipLayerNorm = (x: Tensor, p: Param, name: string, width: number, a: ClipArchitecture): Tensor =>
  layerNorm(x, p(`${name}.weight`, [width]), p(`${name}.bias`, [width]), a.layerNormEps);
