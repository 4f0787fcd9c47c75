import { ShapeError } from '../../errors';
import { add, concat, conv2d, grad, Graph, div, maxPool2d, mul, reduceMean, reduceSum, relu, reshape, scalar, sqrt, sub, sum, type Tensor } from '../../graph';
import type { WeightSource } from '../weights';
import { LPIPS_MIN_SIZE, LPIPS_SCALE, LPIPS_SHIFT, TAP_RELUS, VGG16_FEATURES, type LpipsConfig } from './architecture';

export interface LpipsModel {
  readonly config: LpipsConfig;
  /** `features.N.weight/bias` (torchvision's names) and `lin{k}.model.1.weight` (LPIPS's). */
  readonly weights: WeightSource;
}

/** ScalingLayer: (x − shift) / scale per channel, a division as torch does it. */
export function lpipsScale(x: Tensor): Tensor {
  const g = x.graph;
  return div(sub(x, g.constant('float32', [1, 3, 1, 1], Float32Array.from(LPIPS_SHIFT))), g.constant('float32', [1, 3, 1, 1], Float32Array.from(LPIPS_SCALE)));
}

/** The network's parameters as constants of one graph, made once and shared by the x and init passes. */
export interface LpipsParams {
  readonly convs: ReadonlyMap<number, { readonly weight: Tensor; readonly bias: Tensor }>;
  readonly lins: readonly Tensor[];
}

export function lpipsParams(model: LpipsModel, graph: Graph): LpipsParams {
  const { config, weights } = model;
  const convs = new Map<number, { weight: Tensor; bias: Tensor }>();
  let channels = 3;
  for (const layer of VGG16_FEATURES) {
    if (!('conv' in layer)) continue;
    const width = config.convWidths.get(layer.conv)!;
    convs.set(layer.conv, { weight: weights.param(graph, `features.${layer.conv}.weight`, [width, channels, 3, 3]), bias: weights.param(graph, `features.${layer.conv}.bias`, [width]) });
    channels = width;
  }
  return { convs, lins: config.tapWidths.map((c, l) => weights.param(graph, `lin${l}.model.1.weight`, [1, c, 1, 1])) };
}

/** The trunk on a scaled image: the five tap activations (after their ReLU, before normalisation). */
export function lpipsTaps(params: LpipsParams, scaled: Tensor): Tensor[] {
  const taps: Tensor[] = [];
  let h = scaled;
  for (const layer of VGG16_FEATURES) {
    if ('pool' in layer) {
      h = maxPool2d(h, 2);
      continue;
    }
    const { weight, bias } = params.convs.get(layer.conv)!;
    h = relu(conv2d(h, weight, bias, { padding: 1 }));
    if ((TAP_RELUS as readonly number[]).includes(layer.conv + 1)) taps.push(h);
  }
  return taps;
}

/** lpips.normalize_tensor: x / (‖x‖ over channels + 1e-10), the epsilon outside the square root. */
export function normalizeChannels(x: Tensor): Tensor {
  const norm = sqrt(reduceSum(mul(x, x), [1], true));
  return div(x, add(norm, scalar(x, 1e-10)));
}

export interface LpipsDistances {
  /** res_l [n,1,1,1] for each tap. */
  readonly perLayer: readonly Tensor[];
  /** Σ_l res_l [n,1,1,1]. */
  readonly total: Tensor;
}

/**
 * LPIPS v0.1 between the taps of x [n] and of the init image [1] (broadcast over x's rows, as
 * sample.py calls it): per tap, the squared difference of the normalised activations, weighted by
 * the 1×1 linear layer (no bias) and averaged over space.
 */
export function lpipsDistance(params: LpipsParams, xTaps: readonly Tensor[], initTaps: readonly Tensor[]): LpipsDistances {
  const perLayer = xTaps.map((fx, l) => {
    const d = sub(normalizeChannels(fx), normalizeChannels(initTaps[l]!));
    return reduceMean(conv2d(mul(d, d), params.lins[l]!, undefined), [2, 3], true);
  });
  return { perLayer, total: sum(perLayer) };
}

/** LPIPS(x, init) from images in [−1, 1]: the scaled inputs, x's taps and the distances. */
export function lpips(model: LpipsModel, x: Tensor, init: Tensor) {
  const [h, w] = x.shape.slice(2) as [number, number];
  if (x.shape.length !== 4 || x.shape[1] !== 3 || h < LPIPS_MIN_SIZE || w < LPIPS_MIN_SIZE) {
    throw new ShapeError(`LPIPS needs RGB images [n, 3, H, W] of at least ${LPIPS_MIN_SIZE}×${LPIPS_MIN_SIZE} (VGG16 pools four times), got [${x.shape.join(', ')}]`);
  }
  const params = lpipsParams(model, x.graph);
  const [xScaled, initScaled] = [lpipsScale(x), lpipsScale(init)];
  const xTaps = lpipsTaps(params, xScaled);
  return { xScaled, initScaled, xTaps, ...lpipsDistance(params, xTaps, lpipsTaps(params, initScaled)) };
}

/** The per-tap distances on a new first axis [5, n, 1, 1, 1], as the fixtures record them. */
export const stackLayers = (perLayer: readonly Tensor[]): Tensor => concat(perLayer.map((t) => reshape(t, [1, ...t.shape])), 0);

/** The inputs and outputs of the init-loss graph (buildLpipsTermGraph). */
export const LPIPS_TERM = { xIn: 'x_in', init: 'init', scale: 'init_scale', loss: 'init_loss', grad: 'grad_init' } as const;

/**
 * cond_fn's init term (spec §7 step 7) for one image: x_in and the init image [1,3,H,W] in
 * [−1, 1], init_scale [1,1,1,1] → LPIPS(x_in, init) [1,1,1,1] (unscaled, for the log) and
 * d(init_scale · LPIPS)/dx_in, which the guidance adds to its x_in gradient.
 */
export function buildLpipsTermGraph(model: LpipsModel, size: { readonly height: number; readonly width: number }): Graph {
  const g = new Graph('lpips-init-term');
  const shape = [1, 3, size.height, size.width];
  const x = g.input(LPIPS_TERM.xIn, 'float32', shape);
  const { total } = lpips(model, x, g.input(LPIPS_TERM.init, 'float32', shape));
  g.output(total, LPIPS_TERM.loss);
  g.output(grad([total], [x], [g.input(LPIPS_TERM.scale, 'float32', [1, 1, 1, 1])])[0]!, LPIPS_TERM.grad);
  return g;
}
