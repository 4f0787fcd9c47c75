import { ShapeError } from '../../errors';
import { formatShape, type Tensor } from '../tensor';
import { defineVjp } from '../vjp';
import { apply } from './apply';
import { reduceSum } from './reduce';
import { matmul } from './linalg';
import { pad } from './pad';
import { concat, flip, reshape, slice, transpose } from './shape';

export interface Conv2dOptions {
  readonly stride?: number;
  readonly padding?: number;
  readonly groups?: number;
}

/** 2-D convolution as torch.nn.Conv2d computes it: x [N,C,H,W], weight [K,C/groups,kh,kw], bias [K]. */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | undefined, options: Conv2dOptions = {}): Tensor {
  const { stride = 1, padding = 0, groups = 1 } = options;
  const [n, c, h, w] = x.shape;
  const [k, cg, kh, kw] = weight.shape;
  const shapes = `x ${formatShape(x.shape)}, weight ${formatShape(weight.shape)}`;
  if (x.shape.length !== 4 || weight.shape.length !== 4) throw new ShapeError(`Conv: needs rank-4 tensors, got ${shapes}`);
  if (c! !== cg! * groups || k! % groups !== 0) throw new ShapeError(`Conv: channels do not fit groups=${groups}: ${shapes}`);
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== k)) {
    throw new ShapeError(`Conv: bias ${formatShape(bias.shape)} does not fit ${k} output channels`);
  }
  const oh = Math.floor((h! + 2 * padding - kh!) / stride) + 1;
  const ow = Math.floor((w! + 2 * padding - kw!) / stride) + 1;
  if (oh < 1 || ow < 1) throw new ShapeError(`Conv: output would be empty for ${shapes}, stride ${stride}, padding ${padding}`);
  const attributes = { kernel_shape: { ints: [kh!, kw!] }, strides: { ints: [stride, stride] }, pads: { ints: [padding, padding, padding, padding] }, group: { i: groups } };
  return apply('Conv', bias ? [x, weight, bias] : [x, weight], [n!, k!, oh, ow], attributes);
}

interface ConvAttrs {
  readonly stride: number;
  readonly padding: number;
  readonly groups: number;
}

const attrsOf = (attributes: Record<string, unknown>): ConvAttrs => ({
  stride: (attributes.strides as { ints: number[] }).ints[0]!,
  padding: (attributes.pads as { ints: number[] }).ints[0]!,
  groups: (attributes.group as { i: number }).i,
});

/**
 * dL/dx of a convolution is the transposed convolution of dy with the same weight; output_padding
 * restores the rows and columns a strided forward dropped. For stride 1 without groups that is a
 * plain convolution of dy with the kernel rotated by 180° and its channel axes swapped, padded by
 * k − 1 − p: onnxruntime's CPU Conv (NCHWc kernels) runs it ~1.7× faster than its ConvTranspose on
 * the UNet's shapes. The rotation stays in the graph (a Slice, then a Transpose of the weight) for
 * the runtime to fold at load, so the file holds each weight once. Only when dy has a multiple of 4
 * channels: onnxruntime-web 1.30's WebGPU Conv miscomputes some other input-channel counts (6, 9
 * and 18 measured, relative error ~1; 3, 5, 7, 10 and 14 right), and the UNet's 6-channel output
 * convolution is one of them (test/e2e/webgpu-grad.test.ts holds that case).
 */
function convInputGrad(dy: Tensor, x: Tensor, weight: Tensor, { stride, padding, groups }: ConvAttrs): Tensor {
  const [kh, kw] = weight.shape.slice(2) as [number, number];
  if (stride === 1 && groups === 1 && kh === kw && padding <= kh - 1 && weight.shape[0]! % 4 === 0) {
    const rotated = transpose(kh > 1 ? flip(weight, [2, 3]) : weight, [1, 0, 2, 3]);
    return conv2d(dy, rotated, undefined, { padding: kh - 1 - padding });
  }
  const extra = (size: number, out: number, k: number) => size + 2 * padding - ((out - 1) * stride + k);
  const outputPadding = [extra(x.shape[2]!, dy.shape[2]!, kh), extra(x.shape[3]!, dy.shape[3]!, kw)];
  const attributes = { kernel_shape: { ints: [kh, kw] }, strides: { ints: [stride, stride] }, pads: { ints: [padding, padding, padding, padding] }, group: { i: groups }, output_padding: { ints: outputPadding } };
  return apply('ConvTranspose', [dy, weight], x.shape, attributes);
}

/**
 * dL/dW of a stride-1, ungrouped convolution as one MatMul per kernel tap: W[:, :, i, j]ᵀ = x
 * shifted by (i, j) as [C, N·H·W] @ dy as [N·H·W, K]. The multiply-adds of the Conv form below,
 * but as GEMMs along the long N·H·W axis, which run at the MatMul rate; the Conv form's kernel is
 * the whole image (bench train: its weight gradients ran at ~75 GFLOP/s against the probe's 200).
 * x is put channels-first once, before the taps slice it: slicing first made a transposed copy of
 * every tap (bench profile unet_train, microbatch 4: Transpose 911 ms a run).
 */
function convWeightGradByTaps(dy: Tensor, x: Tensor, weight: Tensor, padding: number): Tensor {
  const [k, c, kh, kw] = weight.shape as [number, number, number, number];
  const [n, , h, w] = dy.shape as [number, number, number, number];
  const padded = padding ? pad(x, [0, 0, padding, padding], [0, 0, padding, padding]) : x;
  const [hp, wp] = padded.shape.slice(2) as [number, number];
  const channelsFirst = n === 1 ? reshape(padded, [c, 1, hp, wp]) : transpose(padded, [1, 0, 2, 3]);
  const dyRows = reshape(transpose(dy, [0, 2, 3, 1]), [n * h * w, k]);
  const taps: Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const shifted = hp === h && wp === w ? channelsFirst : slice(channelsFirst, [2, 3], [i, j], [i + h, j + w]);
      taps.push(matmul(reshape(shifted, [c, n * h * w]), dyRows));
    }
  }
  return transpose(reshape(taps.length === 1 ? taps[0]! : concat(taps, 0), [kh, kw, c, k]), [3, 2, 0, 1]);
}

/**
 * dL/dW[k,c] = Σₙ xₙ,c ⋆ dyₙ,k: a convolution with batch and channels swapped, dilated by the
 * forward stride, cropped to the kernel size. Groups are done one at a time. Stride 1 without
 * groups (almost every convolution) goes by taps instead.
 */
function convWeightGrad(dy: Tensor, x: Tensor, weight: Tensor, { stride, padding, groups }: ConvAttrs): Tensor {
  if (stride === 1 && groups === 1) return convWeightGradByTaps(dy, x, weight, padding);
  const [k, cg, kh, kw] = weight.shape as [number, number, number, number];
  const perGroup = (g: number) => {
    const xg = transpose(slice(x, [1], [g * cg], [(g + 1) * cg]), [1, 0, 2, 3]);
    const dyg = transpose(slice(dy, [1], [(g * k) / groups], [((g + 1) * k) / groups]), [1, 0, 2, 3]);
    const [, , dh, dw] = dyg.shape as [number, number, number, number];
    const oh = xg.shape[2]! + 2 * padding - (dh - 1) * stride;
    const ow = xg.shape[3]! + 2 * padding - (dw - 1) * stride;
    const attributes = { kernel_shape: { ints: [dh, dw] }, dilations: { ints: [stride, stride] }, pads: { ints: [padding, padding, padding, padding] } };
    const full = apply('Conv', [xg, dyg], [cg, k / groups, oh, ow], attributes);
    return transpose(slice(full, [2, 3], [0, 0], [kh, kw]), [1, 0, 2, 3]);
  };
  const parts = Array.from({ length: groups }, (_, g) => perGroup(g));
  return parts.length === 1 ? parts[0]! : concat(parts, 0);
}

defineVjp('Conv', ({ node, inputs: [x, weight, bias], dOutputs: [dy] }) => {
  if (node.attributes.dilations) throw new ShapeError('Conv: the gradient of a dilated convolution is not supported');
  const attrs = attrsOf(node.attributes);
  const dBias = bias ? [reduceSum(dy!, [0, 2, 3])] : [];
  return [convInputGrad(dy!, x!, weight!, attrs), convWeightGrad(dy!, x!, weight!, attrs), ...dBias];
});
