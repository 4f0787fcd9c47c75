import { expand, gatherElements, matmul, mul, reduceSum, reshape, separableResample, transpose, type Graph, type Tensor } from '../../graph';
import { paddedSize, type CutoutGeometry } from './cutout-params';

/** The graph inputs that carry one call's cutout parameters (see cutout-maps.ts for their contents). */
export interface CutoutInputs {
  readonly rows: Tensor;
  readonly cols: Tensor;
  readonly tapIndex?: Tensor;
  readonly tapWeight?: Tensor;
  readonly color?: Tensor;
}

/** Declares the cutout parameter inputs: crop-only (skip_augs) or augmented. */
export function cutoutInputs(g: Graph, geometry: CutoutGeometry, augmented: boolean): CutoutInputs {
  const { cutn, cutSize: cs } = geometry;
  if (!augmented) {
    return { rows: g.input('cut_rows', 'float32', [cutn, 1, cs, geometry.height]), cols: g.input('cut_cols', 'float32', [cutn, 1, cs, geometry.width]) };
  }
  const [hp, wp] = paddedSize(geometry);
  return {
    rows: g.input('cut_rows', 'float32', [cutn, 1, cs, hp]),
    cols: g.input('cut_cols', 'float32', [cutn, 1, cs, wp]),
    tapIndex: g.input('cut_tap_index', 'int32', [1, 1, cutn * 4 * hp * wp]),
    tapWeight: g.input('cut_tap_weight', 'float32', [1, 1, cutn * 4 * hp * wp]),
    color: g.input('cut_color', 'float32', [cutn, 3, 3]),
  };
}

/**
 * Augmented cutouts of image [1, 3, H, W]: every canvas pixel sums its four weighted source pixels
 * (flip, nearest affine and bilinear perspective with its mask, composed with pad and crop), the
 * canvas is pooled to cs × cs, and the colour matrix applies RandomGrayscale (it commutes with the
 * spatial steps). Output [cutn, 3, cs, cs]. All steps are gathers, products and sums, so the
 * gradient is exact (ScatterElements-add for the gather).
 */
function augmentedCutouts(image: Tensor, inputs: CutoutInputs, geometry: CutoutGeometry): Tensor {
  const { cutn, cutSize: cs, height: h, width: w } = geometry;
  const [hp, wp] = paddedSize(geometry);
  const count = inputs.tapIndex!.shape[2]!;
  const index = expand(inputs.tapIndex!, [1, 3, count]);
  const picked = mul(gatherElements(reshape(image, [1, 3, h * w]), index, 2), inputs.tapWeight!);
  const canvas = reshape(reduceSum(reshape(picked, [3, cutn, 4, hp * wp]), [2]), [3, cutn, hp, wp]);
  const pooled = separableResample(canvas, reshape(inputs.rows, [cutn, cs, hp]), reshape(inputs.cols, [cutn, cs, wp]));
  const perCutout = reshape(transpose(pooled, [1, 0, 2, 3]), [cutn, 3, cs * cs]);
  return reshape(matmul(inputs.color!, perCutout), [cutn, 3, cs, cs]);
}

/**
 * MakeCutouts(cut_size, cutn)(image) for image [1, 3, H, W] in [0, 1] space with the parameters
 * fed as inputs, so one graph serves every call. Crop-only cutouts are two matrix products.
 */
export function makeCutouts(image: Tensor, inputs: CutoutInputs, geometry: CutoutGeometry): Tensor {
  if (inputs.tapIndex) return augmentedCutouts(image, inputs, geometry);
  return separableResample(image, inputs.rows, inputs.cols);
}

