import { ShapeError } from '../../errors';
import { formatShape, type Tensor } from '../tensor';

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
  const attributes = {
    kernel_shape: { ints: [kh!, kw!] },
    strides: { ints: [stride, stride] },
    pads: { ints: [padding, padding, padding, padding] },
    group: { i: groups },
  };
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return x.graph.node('Conv', inputs, [{ dtype: x.dtype, shape: [n!, k!, oh, ow] }], attributes)[0]!;
}
