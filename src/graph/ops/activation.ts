import type { Tensor } from '../tensor';
import { defineVjp } from '../vjp';
import { apply, axisOf, scalar } from './apply';
import { add, erf, mul, sigmoid, sub } from './elementwise';
import { reduceSum } from './reduce';

/** ONNX Softmax along one axis (opset 13+ semantics: that axis alone, not the flattened tail). */
export function softmax(x: Tensor, axis = -1): Tensor {
  return apply('Softmax', [x], x.shape, { axis: { i: axisOf('Softmax', axis, x.shape.length) } });
}
// With y the forward output: dx = y·(dy − Σ(dy·y)) along the axis.
defineVjp('Softmax', ({ node, outputs: [y], dOutputs: [dy] }) => {
  const axis = (node.attributes.axis as { i: number }).i;
  return [mul(y!, sub(dy!, reduceSum(mul(dy!, y!), [axis], true)))];
});

/** torch.nn.GELU() (approximate='none'): 0.5·x·(1 + erf(x/√2)). Opset 17 has no Gelu op, so it is composed. */
export function gelu(x: Tensor): Tensor {
  return mul(mul(scalar(x, 0.5), x), add(scalar(x, 1), erf(mul(x, scalar(x, Math.SQRT1_2)))));
}

/** CLIP's QuickGELU: x·sigmoid(1.702·x). */
export function quickGelu(x: Tensor): Tensor {
  return mul(x, sigmoid(mul(scalar(x, 1.702), x)));
}

/** torch.nn.SiLU (guided-diffusion's SiLU): x·sigmoid(x). */
export function silu(x: Tensor): Tensor {
  return mul(x, sigmoid(x));
}
