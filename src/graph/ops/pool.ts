import { ShapeError, UnsupportedOpError } from '../../errors';
import { formatShape, type Tensor } from '../tensor';
import { defineVjp } from '../vjp';
import { apply, scalar } from './apply';
import { add, cast, equal, greater, mul, sub, where } from './elementwise';
import { matmul, transposeLast } from './linalg';
import { pad } from './pad';
import { reduceSum } from './reduce';
import { concat, reshape, slice, split, transpose } from './shape';

/** A float constant of x's dtype (float64 stays float64, anything else is float32). */
function floatConstant(x: Tensor, shape: readonly number[], values: ArrayLike<number>): Tensor {
  return x.dtype === 'float64' ? x.graph.constant('float64', shape, Float64Array.from(values)) : x.graph.constant('float32', shape, Float32Array.from(values));
}

function spatial(op: string, x: Tensor): [number, number, number, number] {
  if (x.shape.length !== 4) throw new ShapeError(`${op}: needs [N, C, H, W], got ${formatShape(x.shape)}`);
  return x.shape as [number, number, number, number];
}

/**
 * torch.nn.functional.avg_pool2d(x, kernel, stride, padding) with its defaults ceil_mode=False and
 * count_include_pad=True (padded zeros count in the divisor, which is then always kernel²; ONNX's
 * count_include_pad defaults to 0, so it is set).
 */
export function avgPool2d(x: Tensor, kernel: number, stride = kernel, padding = 0): Tensor {
  const [n, c, h, w] = spatial('AveragePool', x);
  const out = (size: number) => Math.floor((size + 2 * padding - kernel) / stride) + 1;
  // torch's own limit: "pad should be at most half of effective kernel size".
  if (padding > kernel / 2 || out(h) < 1 || out(w) < 1) {
    throw new ShapeError(`AveragePool: kernel ${kernel}, stride ${stride}, padding ${padding} do not fit ${formatShape(x.shape)}`);
  }
  const attributes = { kernel_shape: { ints: [kernel, kernel] }, strides: { ints: [stride, stride] }, pads: { ints: [padding, padding, padding, padding] }, count_include_pad: { i: 1 } };
  return apply('AveragePool', [x], [n, c, out(h), out(w)], attributes);
}

/**
 * Each output spreads dy/k² back over its window: a transposed convolution of every channel alone
 * (channels folded into the batch) with a k×k kernel of 1/k². Exact for overlapping windows and
 * padding; output_padding restores the rows and columns a strided forward dropped. Windows that tile
 * x exactly (ResNet's 2×2 pools) take dy/k² upsampled by nearest instead, the same values: a
 * depthwise ConvTranspose ran at ~3 GFLOP/s on onnxruntime's CPU EP (28 ms of RN50's gradient).
 */
defineVjp('AveragePool', ({ node, inputs: [x], dOutputs: [dy] }) => {
  const ints = (name: string) => (node.attributes[name] as { ints: number[] }).ints;
  const [k, s, p] = [ints('kernel_shape')[0]!, ints('strides')[0]!, ints('pads')[0]!];
  const [n, c, h, w] = x!.shape as [number, number, number, number];
  const [oh, ow] = dy!.shape.slice(2) as [number, number];
  if (k === s && p === 0 && h === oh * k && w === ow * k) return [upsampleNearest(mul(dy!, scalar(dy!, 1 / (k * k))), k)];
  const extra = (size: number, out: number) => size + 2 * p - ((out - 1) * s + k);
  const weight = floatConstant(x!, [1, 1, k, k], new Array<number>(k * k).fill(1 / (k * k)));
  const attributes = { kernel_shape: { ints: [k, k] }, strides: { ints: [s, s] }, pads: { ints: [p, p, p, p] }, output_padding: { ints: [extra(h, oh), extra(w, ow)] } };
  const dx = apply('ConvTranspose', [reshape(dy!, [n * c, 1, oh, ow]), weight], [n * c, 1, h, w], attributes);
  return [reshape(dx, x!.shape)];
});

/**
 * torch's MaxPool2d(k) (stride k, no padding, floor: VGG's 2×2 pools): trailing rows and columns
 * that fill no window are dropped.
 */
export function maxPool2d(x: Tensor, kernel: number): Tensor {
  const [n, c, h, w] = spatial('MaxPool', x);
  const [oh, ow] = [Math.floor(h / kernel), Math.floor(w / kernel)];
  if (!Number.isInteger(kernel) || kernel < 1 || oh < 1 || ow < 1) throw new ShapeError(`MaxPool: kernel ${kernel} does not fit ${formatShape(x.shape)}`);
  return apply('MaxPool', [x], [n, c, oh, ow], { kernel_shape: { ints: [kernel, kernel] }, strides: { ints: [kernel, kernel] } });
}

/**
 * The cotangent goes to the first maximum of each window in scan order, as torch's does (ties get
 * it once, not once each). Windows become the last axis; a running "seen" marks the first hit.
 * `where`, not a product, places it, so a NaN cotangent stays in its own window.
 */
defineVjp('MaxPool', ({ node, inputs: [x], outputs: [y], dOutputs: [dy] }) => {
  const k = (node.attributes.kernel_shape as { ints: number[] }).ints[0]!;
  const [n, c, h, w] = x!.shape as [number, number, number, number];
  const [oh, ow] = y!.shape.slice(2) as [number, number];
  const covered = oh * k === h && ow * k === w ? x! : slice(x!, [2, 3], [0, 0], [oh * k, ow * k]);
  const windows = reshape(transpose(reshape(covered, [n, c, oh, k, ow, k]), [0, 1, 2, 4, 3, 5]), [n, c, oh, ow, k * k]);
  const hits = split(cast(equal(windows, reshape(y!, [n, c, oh, ow, 1])), x!.dtype), 4, k * k);
  let seen = scalar(x!, 0);
  const firsts = hits.map((hit) => {
    const first = mul(hit, sub(scalar(hit, 1), seen));
    seen = add(seen, first);
    return first;
  });
  const routed = where(greater(concat(firsts, 4), scalar(x!, 0)), reshape(dy!, [n, c, oh, ow, 1]), scalar(dy!, 0));
  const dx = reshape(transpose(reshape(routed, [n, c, oh, ow, k, k]), [0, 1, 2, 4, 3, 5]), [n, c, oh * k, ow * k]);
  return [covered === x! ? dx : pad(dx, [0, 0, 0, 0], [0, 0, h - oh * k, w - ow * k])];
});

/**
 * Nearest-neighbour upsampling by an integer factor, as torch's F.interpolate(mode='nearest')
 * (guided-diffusion's Upsample, factor 2): ONNX Resize with asymmetric coordinates and floor
 * rounding, so output pixel i reads input floor(i/f).
 */
export function upsampleNearest(x: Tensor, factor: number): Tensor {
  const [n, c, h, w] = spatial('Resize', x);
  if (!Number.isInteger(factor) || factor < 1) throw new ShapeError(`Resize: factor ${factor} is not a positive integer (input ${formatShape(x.shape)})`);
  const roi = x.graph.constant('float32', [0], new Float32Array(0));
  const scales = x.graph.constant('float32', [4], Float32Array.of(1, 1, factor, factor));
  const attributes = { mode: { s: 'nearest' }, coordinate_transformation_mode: { s: 'asymmetric' }, nearest_mode: { s: 'floor' } };
  return apply('Resize', [x, roi, scales], [n, c, h * factor, w * factor], attributes);
}

/** Each input pixel fed an f×f block: view dy as [N, C, H, f, W, f] and sum the blocks. */
defineVjp('Resize', ({ node, inputs: [x], dOutputs: [dy] }) => {
  const s = (name: string) => (node.attributes[name] as { s: string } | undefined)?.s;
  if (s('mode') !== 'nearest' || s('coordinate_transformation_mode') !== 'asymmetric' || s('nearest_mode') !== 'floor') {
    throw new UnsupportedOpError('Resize: only the gradient of upsampleNearest (nearest, asymmetric, floor) is defined');
  }
  const [n, c, h, w] = x!.shape as [number, number, number, number];
  const f = dy!.shape[2]! / h;
  return [reduceSum(reshape(dy!, [n, c, h, f, w, f]), [3, 5]), null, null];
});

/**
 * The [outSize, inSize] averaging matrix of torch's adaptive_avg_pool along one axis: output i
 * averages inputs floor(i·in/out) … ceil((i+1)·in/out) − 1. Row-major.
 */
export function adaptivePoolMatrix(inSize: number, outSize: number): Float64Array {
  if (!Number.isInteger(inSize) || !Number.isInteger(outSize) || inSize < 1 || outSize < 1) {
    throw new ShapeError(`adaptivePoolMatrix: sizes ${inSize} → ${outSize} must be positive integers`);
  }
  const m = new Float64Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const start = Math.floor((i * inSize) / outSize);
    const end = Math.ceil(((i + 1) * inSize) / outSize);
    m.fill(1 / (end - start), i * inSize + start, i * inSize + end);
  }
  return m;
}

/**
 * y = rows·x·colsᵀ on the last two axes of x [..., H, W] with rows [outH, H] and cols [outW, W]:
 * any separable linear resampling (adaptive pooling, cutout crops and resizes). The matrices may be
 * graph inputs that change every step; the gradient is MatMul's.
 */
export function separableResample(x: Tensor, rows: Tensor, cols: Tensor): Tensor {
  return matmul(matmul(rows, x), transposeLast(cols));
}

/** torch.nn.functional.adaptive_avg_pool2d(x, (outH, outW)) for x [N, C, H, W], via constant pooling matrices. */
export function adaptiveAvgPool2d(x: Tensor, outH: number, outW: number): Tensor {
  const [, , h, w] = spatial('AdaptiveAvgPool', x);
  const rows = floatConstant(x, [outH, h], adaptivePoolMatrix(h, outH));
  const cols = floatConstant(x, [outW, w], adaptivePoolMatrix(w, outW));
  return separableResample(x, rows, cols);
}
