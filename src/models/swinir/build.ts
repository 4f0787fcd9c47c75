import { add, conv2d, Graph, layerNorm, leakyRelu, reshape, sub, transpose, type Tensor, upsampleNearest } from '../../graph';
import type { WeightSource } from '../weights';
import { blockPrefix, RGB_MEAN, type SwinIRConfig } from './config';
import { windowGrid, type WindowGrid } from './geometry';
import { swinBlock, windowConstants, type WindowConstants } from './swin-block';

export interface SwinIRGraphOptions {
  /** The low-resolution tile the graph takes, [1, 3, height, width]; both multiples of the window size. */
  readonly height: number;
  readonly width: number;
  /** Also output `conv_first` and `conv_after_body` (before the residual), for checks against the fixtures. */
  readonly intermediates?: boolean;
}

const conv = (x: Tensor, w: WeightSource, name: string, out: number, inp: number, k = 3): Tensor =>
  conv2d(x, w.param(x.graph, `${name}.weight`, [out, inp, k, k]), w.param(x.graph, `${name}.bias`, [out]), { padding: (k - 1) / 2 });

/**
 * RSTB.conv / conv_after_body: '1conv' is one 3×3 conv; '3conv' is 3×3 to dim//4, LeakyReLU 0.2,
 * 1×1, LeakyReLU 0.2, 3×3 back to dim (nn.Sequential indices 0, 2, 4).
 */
function residualConv(x: Tensor, w: WeightSource, name: string, config: SwinIRConfig): Tensor {
  const dim = config.embedDim;
  if (config.resiConnection === '1conv') return conv(x, w, name, dim, dim);
  const quarter = Math.floor(dim / 4);
  const h = leakyRelu(conv(leakyRelu(conv(x, w, `${name}.0`, quarter, dim), 0.2), w, `${name}.2`, quarter, quarter, 1), 0.2);
  return conv(h, w, `${name}.4`, dim, quarter);
}

/** [1, C, H, W] → tokens [L, C] in window order (patch_embed's flatten, then window_partition's order). */
function toTokens(x: Tensor, { height, width, windowSize: ws }: WindowGrid): Tensor {
  const c = x.shape[1]!;
  return reshape(transpose(reshape(x, [c, height / ws, ws, width / ws, ws]), [1, 3, 2, 4, 0]), [height * width, c]);
}

/** The inverse of toTokens (window_reverse, then patch_unembed). */
function toImage(tokens: Tensor, { height, width, windowSize: ws }: WindowGrid): Tensor {
  const c = tokens.shape[1]!;
  return reshape(transpose(reshape(tokens, [height / ws, width / ws, ws, ws, c]), [4, 0, 2, 1, 3]), [1, c, height, width]);
}

/** RSTB.forward: the stage's Swin blocks, un-flatten, residual conv, re-flatten, plus the stage input. */
function rstb(x: Tensor, w: WeightSource, k: WindowConstants, config: SwinIRConfig, stage: number): Tensor {
  let h = x;
  config.shifted[stage]!.forEach((shifted, j) => {
    const spec = { prefix: blockPrefix(stage, j), dim: config.embedDim, heads: config.numHeads[stage]!, mlpHidden: config.mlpHidden, shifted };
    h = swinBlock(h, w, k, spec);
  });
  return add(toTokens(residualConv(toImage(h, k.grid), w, `layers.${stage}.conv`, config), k.grid), x);
}

/** forward_features after conv_first: patch_embed (+ its LayerNorm), the RSTB stages, the final norm. */
function deepFeatures(x: Tensor, w: WeightSource, k: WindowConstants, config: SwinIRConfig): Tensor {
  const dim = config.embedDim;
  const ln = (t: Tensor, name: string) => layerNorm(t, w.param(t.graph, `${name}.weight`, [dim]), w.param(t.graph, `${name}.bias`, [dim]));
  let tokens = ln(toTokens(x, k.grid), 'patch_embed.norm');
  config.depths.forEach((_, stage) => (tokens = rstb(tokens, w, k, config, stage)));
  return toImage(ln(tokens, 'norm'), k.grid);
}

/**
 * The 'nearest+conv' reconstruction: conv_before_upsample (LeakyReLU with torch's default slope
 * 0.01), then twice nearest ×2 + conv + LeakyReLU 0.2, then conv_hr + LeakyReLU 0.2 and conv_last.
 */
function reconstruct(x: Tensor, w: WeightSource, config: SwinIRConfig): Tensor {
  const f = config.numFeat;
  const lrelu = (t: Tensor) => leakyRelu(t, 0.2);
  let h = leakyRelu(conv(x, w, 'conv_before_upsample.0', f, config.embedDim), 0.01);
  h = lrelu(conv(upsampleNearest(h, 2), w, 'conv_up1', f, f));
  h = lrelu(conv(upsampleNearest(h, 2), w, 'conv_up2', f, f));
  return conv(lrelu(conv(h, w, 'conv_hr', f, f)), w, 'conv_last', config.inChans, f);
}

/**
 * SwinIR.forward (upsampler 'nearest+conv', img_range 1) for one fixed tile: input `x`
 * [1, 3, H, W] in [0, 1], output `y` [1, 3, 4H, 4W], not clamped. Window shifts and masks are
 * computed for this tile size here, as SwinIR's calculate_mask does at run time.
 */
export function buildSwinIRGraph(config: SwinIRConfig, weights: WeightSource, options: SwinIRGraphOptions): Graph {
  const grid = windowGrid(options.height, options.width, config.windowSize);
  const g = new Graph('swinir');
  const k = windowConstants(g, grid, config.shifted.some((stage) => stage.includes(true)));
  const x = g.input('x', 'float32', [1, config.inChans, grid.height, grid.width]);
  const mean = g.constant('float32', [1, 3, 1, 1], Float32Array.from(RGB_MEAN));
  const first = conv(sub(x, mean), weights, 'conv_first', config.embedDim, config.inChans);
  const body = residualConv(deepFeatures(first, weights, k, config), weights, 'conv_after_body', config);
  g.output(add(reconstruct(add(body, first), weights, config), mean), 'y');
  if (options.intermediates) {
    g.output(first, 'conv_first');
    g.output(body, 'conv_after_body');
  }
  return g;
}
