import { ShapeError, UnsupportedOpError } from '../../errors';
import { formatShape, size, type Tensor } from '../tensor';
import { defineVjp } from '../vjp';
import { add, cast, mul, sub } from './elementwise';
import { reduceMean } from './reduce';
import { reshape } from './shape';

/**
 * Normalises over the last axis: (x − mean) / √(var + eps), biased variance, no affine, as ONNX
 * LayerNormalization (axis −1, scale all ones, no bias) computes it in one kernel. x is float32 or
 * float64. The op's optional InvStdDev output is requested so that the gradient can reuse it.
 */
export function normalizeLast(x: Tensor, eps: number): Tensor {
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new ShapeError(`LayerNormalization: needs float32 or float64, got ${x.dtype}`);
  const d = x.shape[x.shape.length - 1];
  if (d === undefined) throw new ShapeError(`LayerNormalization: needs rank ≥ 1, got ${formatShape(x.shape)}`);
  const ones = x.graph.constant(x.dtype, [d], (x.dtype === 'float64' ? new Float64Array(d) : new Float32Array(d)).fill(1));
  // Mean and InvStdDev are float32 (stash_type 1, the default) even for float64 x: onnxruntime's CPU
  // kernel registers no other statistics type.
  const stats = { dtype: 'float32' as const, shape: [...x.shape.slice(0, -1), 1] };
  return x.graph.node('LayerNormalization', [x, ones], [{ dtype: x.dtype, shape: x.shape }, stats, stats], { axis: { i: -1 }, epsilon: { f: eps } })[0]!;
}

/**
 * With x̂ the output and r = InvStdDev (both from the forward), over the last axis:
 * dx = r·(dy − mean(dy) − x̂·mean(dy·x̂)). r is float32, so a float64 gradient is good to ~1e-7
 * relative. Only normalizeLast's form (axis −1, scale of ones, no bias) is differentiated; its Mean
 * and InvStdDev outputs are never handed out, so no cotangent reaches them.
 */
defineVjp('LayerNormalization', ({ node, inputs: [x, scale], outputs: [xhat, , invStd], dOutputs: [dy] }) => {
  const ones = [...x!.graph.constantData(scale!)].every((v) => v === 1);
  const axis = (node.attributes.axis as { i: number } | undefined)?.i ?? -1;
  if (node.inputs.length !== 2 || !ones || (axis !== -1 && axis !== x!.shape.length - 1)) {
    throw new UnsupportedOpError('LayerNormalization: only the gradient of the last-axis form without affine is defined (use layerNorm for the affine)');
  }
  const r = invStd!.dtype === dy!.dtype ? invStd! : cast(invStd!, dy!.dtype);
  const centred = sub(dy!, reduceMean(dy!, [-1], true));
  return [mul(r, sub(centred, mul(xhat!, reduceMean(mul(dy!, xhat!), [-1], true)))), null];
});

/**
 * Runs a normalisation in float32 when x is float16 and casts back: CLIP's LayerNorm subclass and
 * guided-diffusion's GroupNorm32 both do `super().forward(x.float()).type(x.dtype)`.
 */
function inFloat32(x: Tensor, f: (x32: Tensor) => Tensor): Tensor {
  return x.dtype === 'float16' ? cast(f(cast(x, 'float32')), 'float16') : f(x);
}

function checkAffine(op: string, x: Tensor, channels: number, params: readonly Tensor[]): void {
  for (const p of params) {
    if (p.shape.length !== 1 || p.shape[0] !== channels) {
      throw new ShapeError(`${op}: parameter ${formatShape(p.shape)} does not fit ${channels} channels of input ${formatShape(x.shape)}`);
    }
  }
}

/** torch.nn.LayerNorm(D) over the last axis of x [..., D]: normalise, then ·weight + bias (both [D]). */
export function layerNorm(x: Tensor, weight: Tensor, bias: Tensor, eps = 1e-5): Tensor {
  checkAffine('LayerNorm', x, x.shape[x.shape.length - 1] ?? 0, [weight, bias]);
  return inFloat32(x, (x32) => add(mul(normalizeLast(x32, eps), weight), bias));
}

/**
 * torch.nn.GroupNorm(groups, C) on x [N, C, ...spatial]: statistics over each group of C/groups
 * channels and all spatial positions (reshape to [N, G, C/G·spatial] and normalise the last axis),
 * then a per-channel affine with weight and bias [C]. ONNX GroupNormalization is not used: the
 * WebGPU EP has no kernel for it.
 */
export function groupNorm(x: Tensor, groups: number, weight: Tensor, bias: Tensor, eps = 1e-5): Tensor {
  const [n, c] = x.shape;
  if (n === undefined || c === undefined || !Number.isInteger(groups) || groups < 1 || c % groups !== 0) {
    throw new ShapeError(`GroupNorm: ${groups} groups do not divide the channels of ${formatShape(x.shape)}`);
  }
  checkAffine('GroupNorm', x, c, [weight, bias]);
  const perChannel = [c, ...x.shape.slice(2).map(() => 1)];
  return inFloat32(x, (x32) => {
    const normalised = reshape(normalizeLast(reshape(x32, [n, groups, (c / groups) * size(x.shape.slice(2))]), eps), x.shape);
    return add(mul(normalised, reshape(weight, perChannel)), reshape(bias, perChannel));
  });
}
