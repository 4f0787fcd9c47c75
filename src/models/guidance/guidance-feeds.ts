import { hostTensor, type HostTensor } from '../../runtime';
import type { GuidanceScales } from '../../sampling/guidance-input';
import { augmentedFeeds, cropFeeds } from './cutout-maps';
import { paddedSize, type CutoutGeometry, type CutoutParams } from './cutout-params';

/**
 * The cutout inputs of the guidance (or cutout) graph for one call's parameters; `sources` are the
 * affine read maps when the caller has its own (the conformance check's torch reads at near-ties).
 */
export function cutoutFeeds(params: readonly CutoutParams[], g: CutoutGeometry, sources?: readonly Int32Array[]): Record<string, HostTensor> {
  const { cutn, cutSize: cs } = g;
  if (params.every((p) => !p.augment)) {
    const f = cropFeeds(params, g);
    return { cut_rows: hostTensor('float32', [cutn, 1, cs, g.height], f.rows), cut_cols: hostTensor('float32', [cutn, 1, cs, g.width], f.cols) };
  }
  const [hp, wp] = paddedSize(g);
  const f = augmentedFeeds(params, g, sources);
  const taps = [f.tapSource.length];
  return {
    cut_rows: hostTensor('float32', [cutn, 1, cs, hp], f.rows),
    cut_cols: hostTensor('float32', [cutn, 1, cs, wp], f.cols),
    cut_tap_source: hostTensor('int32', taps, f.tapSource),
    cut_tap_target: hostTensor('int32', taps, f.tapTarget),
    cut_tap_weight: hostTensor('float32', taps, f.tapWeight),
    cut_color: hostTensor('float32', [cutn, 3, 3], f.color),
  };
}

/**
 * Scale inputs of one cutn batch, from the scales after calculate_scale_multiplier (sampling's
 * applyScaleMultiplier): the CLIP scale is divided by cutn_batches, as cond_fn averages the
 * batches' gradients. The LPIPS init term is not part of this model.
 */
export function scaleFeeds(s: GuidanceScales, cutnBatches: number): Record<string, HostTensor> {
  const one = (v: number) => hostTensor('float32', [], Float32Array.of(v));
  return { clip_scale: one(s.clipGuidanceScale / cutnBatches), tv_scale: one(s.tvScale), range_scale: one(s.rangeScale), sat_scale: one(s.saturationScale) };
}
