import { abs, add, asin, clamp, div, exp, expand, mul, reduceMean, reduceSum, reshape, scalar, slice, sqrt, sub, where, greater, type Tensor } from '../../graph';

/** F.normalize(x, dim=-1): x / max(‖x‖, 1e-12). */
export function l2Normalize(x: Tensor): Tensor {
  const norm = sqrt(reduceSum(mul(x, x), [-1], true));
  const eps = scalar(x, 1e-12);
  return div(x, where(greater(norm, eps), norm, eps));
}

/** ‖x̂ − ŷ‖ for every pair: image embeddings [C, D] against targets [P, D] → [C, P]. */
function chordLengths(xHat: Tensor, yHat: Tensor): Tensor {
  const [c, d] = xHat.shape as [number, number];
  const p = yHat.shape[0]!;
  const diff = sub(reshape(xHat, [c, 1, d]), reshape(yHat, [1, p, d]));
  return sqrt(reduceSum(mul(diff, diff), [-1]));
}

/** 2·arcsin(chord/2)²: half the squared angle between unit vectors (seed-spec §6.1). */
function halfSquaredAngle(chord: Tensor): Tensor {
  const a = asin(div(chord, scalar(chord, 2)));
  return mul(scalar(chord, 2), mul(a, a));
}

/** spherical_dist_loss(x[:, None], y[None]) → [C, P]. */
export function sphericalDistLoss(x: Tensor, y: Tensor): Tensor {
  return halfSquaredAngle(chordLengths(l2Normalize(x), l2Normalize(y)));
}

/**
 * cos_spherical (§6.2): |spherical| + 0.5·exp((1 − cos)/0.5). torch.cosine_similarity is taken as
 * x̂·ŷ (its eps only matters for near-zero vectors).
 */
export function cosSphericalLoss(x: Tensor, y: Tensor): Tensor {
  const [xHat, yHat] = [l2Normalize(x), l2Normalize(y)];
  const [c, d] = xHat.shape as [number, number];
  const p = yHat.shape[0]!;
  const cos = reduceSum(mul(reshape(xHat, [c, 1, d]), reshape(yHat, [1, p, d])), [-1]);
  const spherical = abs(halfSquaredAngle(chordLengths(xHat, yHat)));
  return add(spherical, mul(scalar(cos, 0.5), exp(div(sub(scalar(cos, 1), cos), scalar(cos, 0.5)))));
}

/** Σ over all of x [N, C, H, W], row by row then plane by plane: a flat float32 sum of 10⁵ terms drifts by ~1e-5 relative. */
const stagedSum = (x: Tensor): Tensor => reduceSum(reduceSum(reduceSum(x, [3]), [2]), [0, 1]);

/**
 * tv_loss summed over the batch (§6.3): replicate padding right and bottom makes the last column's
 * and row's differences zero, so only the inner differences count, divided by C·H·W.
 */
export function tvLoss(x: Tensor): Tensor {
  const [, c, h, w] = x.shape as [number, number, number, number];
  const dx = sub(slice(x, [3], [1], [w]), slice(x, [3], [0], [w - 1]));
  const dy = sub(slice(x, [2], [1], [h]), slice(x, [2], [0], [h - 1]));
  const total = add(stagedSum(mul(dx, dx)), stagedSum(mul(dy, dy)));
  return div(total, scalar(total, c * h * w));
}

/** range_loss summed over the batch (§6.4): mean of (x − clamp(x, −1, 1))² per image. */
export function rangeLoss(x: Tensor): Tensor {
  const over = sub(x, clamp(x, -1, 1));
  return reduceSum(reduceMean(mul(over, over), [1, 2, 3]), [0]);
}

/** The saturation term (§6.5): mean over every element of |x − clamp(x, −1, 1)|. */
export function saturationLoss(x: Tensor): Tensor {
  return reduceMean(abs(sub(x, clamp(x, -1, 1))), [0, 1, 2, 3]);
}

/** Σ_p w_p · mean over cutouts of dists [C, P] (cond_fn with n = 1): weights [P]. */
export function weightedMean(dists: Tensor, weights: Tensor): Tensor {
  return reduceMean(reduceSum(mul(dists, expand(reshape(weights, [1, weights.shape[0]!]), dists.shape)), [1]), [0]);
}
