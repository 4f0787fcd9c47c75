import { gatherElements, matmul, mul, reshape, scatterAdd, separableResample, transpose, zeros, type Graph, type Tensor } from '../../graph';
import { paddedSize, type CutoutGeometry } from './cutout-params';

/** The graph inputs that carry one call's cutout parameters (see cutout-maps.ts for their contents). */
export interface CutoutInputs {
  readonly rows: Tensor;
  readonly cols: Tensor;
  readonly tapSource?: Tensor;
  readonly tapTarget?: Tensor;
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
  // Each call feeds as many taps as its draws have (3 channels × at most 4 per canvas pixel).
  const taps = (dtype: 'int32' | 'float32', name: string) => g.input(name, dtype, [3 * cutn * 4 * hp * wp], ['taps']);
  return {
    rows: g.input('cut_rows', 'float32', [cutn, 1, cs, hp]),
    cols: g.input('cut_cols', 'float32', [cutn, 1, cs, wp]),
    tapSource: taps('int32', 'cut_tap_source'),
    tapTarget: taps('int32', 'cut_tap_target'),
    tapWeight: taps('float32', 'cut_tap_weight'),
    color: g.input('cut_color', 'float32', [cutn, 3, 3]),
  };
}

/**
 * Augmented cutouts of image [1, 3, H, W]: every canvas pixel sums its weighted source pixels (flip,
 * nearest affine and bilinear perspective with its mask, composed with pad and crop), the canvas is
 * pooled to cs × cs, and the colour matrix applies RandomGrayscale (it commutes with the spatial
 * steps). Output [cutn, 3, cs, cs]. The taps are a list of (source, canvas pixel, weight) holding
 * only taps with a source in the image, about a fifth of the 4 per canvas pixel a fixed layout
 * needs: both the forward and the gradient scatter-add once per listed tap, on one thread on
 * onnxruntime's CPU EP, and that scatter was the largest kernel of the guidance gradient outside
 * its matrix products. All steps are gathers, products and sums, so the gradient is exact.
 */
function augmentedCutouts(image: Tensor, inputs: CutoutInputs, geometry: CutoutGeometry): Tensor {
  const { cutn, cutSize: cs, height: h, width: w } = geometry;
  const [hp, wp] = paddedSize(geometry);
  const picked = mul(gatherElements(reshape(image, [3 * h * w]), inputs.tapSource!, 0), inputs.tapWeight!);
  const canvas = reshape(scatterAdd(zeros(picked, [3 * cutn * hp * wp]), inputs.tapTarget!, picked, 0), [3, cutn, hp, wp]);
  const pooled = separableResample(canvas, reshape(inputs.rows, [cutn, cs, hp]), reshape(inputs.cols, [cutn, cs, wp]));
  const perCutout = reshape(transpose(pooled, [1, 0, 2, 3]), [cutn, 3, cs * cs]);
  return reshape(matmul(inputs.color!, perCutout), [cutn, 3, cs, cs]);
}

/**
 * MakeCutouts(cut_size, cutn)(image) for image [1, 3, H, W] in [0, 1] space with the parameters
 * fed as inputs, so one graph serves every call. Crop-only cutouts are two matrix products.
 */
export function makeCutouts(image: Tensor, inputs: CutoutInputs, geometry: CutoutGeometry): Tensor {
  if (inputs.tapSource) return augmentedCutouts(image, inputs, geometry);
  return separableResample(image, inputs.rows, inputs.cols);
}

