import { hostTensor, type HostTensor } from '../../runtime';
import { augmentedFeeds, cropFeeds } from './cutout-maps';
import { paddedSize, type CutoutGeometry, type CutoutParams } from './cutout-params';

/** The cutout inputs of the guidance (or cutout) graph for one call's parameters. */
export function cutoutFeeds(params: readonly CutoutParams[], g: CutoutGeometry): Record<string, HostTensor> {
  const { cutn, cutSize: cs } = g;
  if (params.every((p) => !p.augment)) {
    const f = cropFeeds(params, g);
    return { cut_rows: hostTensor('float32', [cutn, 1, cs, g.height], f.rows), cut_cols: hostTensor('float32', [cutn, 1, cs, g.width], f.cols) };
  }
  const [hp, wp] = paddedSize(g);
  const f = augmentedFeeds(params, g);
  const taps = [1, 1, f.tapIndex.length];
  return {
    cut_rows: hostTensor('float32', [cutn, 1, cs, hp], f.rows),
    cut_cols: hostTensor('float32', [cutn, 1, cs, wp], f.cols),
    cut_tap_index: hostTensor('int32', taps, f.tapIndex),
    cut_tap_weight: hostTensor('float32', taps, f.tapWeight),
    cut_color: hostTensor('float32', [cutn, 3, 3], f.color),
  };
}

/** The effective scales after calculate_scale_multiplier (§4.4): the saturation scale is not multiplied. */
export interface GuidanceScales {
  readonly clipGuidance: number;
  readonly tv: number;
  readonly range: number;
  readonly saturation: number;
}

export const effectiveScales = (s: GuidanceScales, multiplier: number): GuidanceScales => ({
  clipGuidance: s.clipGuidance * multiplier, tv: s.tv * multiplier, range: s.range * multiplier, saturation: s.saturation,
});

/** Scale inputs of one cutn batch: the CLIP scale is divided by cutn_batches, as cond_fn averages the batches' gradients. */
export function scaleFeeds(s: GuidanceScales, cutnBatches: number): Record<string, HostTensor> {
  const one = (v: number) => hostTensor('float32', [], Float32Array.of(v));
  return { clip_scale: one(s.clipGuidance / cutnBatches), tv_scale: one(s.tv), range_scale: one(s.range), sat_scale: one(s.saturation) };
}
