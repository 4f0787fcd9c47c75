import { beforeAll, expect, it } from 'vitest';
import { opsOffWebGpu } from '../../../src/graph';
import { hostTensor, type HostTensor } from '../../../src/runtime';
import { loadClip, type LoadedClip } from '../../../src/models/clip/state-dict';
import type { CutoutGeometry, CutoutParams } from '../../../src/models/guidance/cutout-params';
import { applyScaleMultiplier } from '../../../src/sampling/guidance-input';
import { cutoutFeeds, scaleFeeds } from '../../../src/models/guidance/guidance-feeds';
import { buildGuidanceGraph, type LossFn } from '../../../src/models/guidance/guidance-graph';
import { runGraph } from '../../helpers/ort';
import { describeWithFixtures } from '../../fixtures';
import { readReferences, relativeError, withFixture, type RefTensor } from '../clip/reference';

const GEOMETRY: CutoutGeometry = { height: 256, width: 256, cutSize: 224, cutn: 8 };
const SCALES = applyScaleMultiplier({ clipGuidanceScale: 5000, tvScale: 100, rangeScale: 150, saturationScale: 10, initScale: 0 }, 50);
const TOL = 1e-4;

let ref: Record<string, RefTensor>;
let clip: LoadedClip;
const v = (name: string): Float32Array => ref[name]!.data;
const f32 = (shape: readonly number[], data: Float32Array): HostTensor => hostTensor('float32', shape, data);

/** Batch b's recorded (size, offset_y, offset_x) in the padded image, as crop parameters. */
const recordedCutouts = (b: number): CutoutParams[] => Array.from({ length: 8 }, (_, k) => {
  const [size, offsetY, offsetX] = v('s256.cutout_params').subarray((b * 8 + k) * 3, (b * 8 + k) * 3 + 3);
  return { crop: { height: size!, width: size!, offsetY: offsetY!, offsetX: offsetX! } };
});

async function runBatches(lossFn: LossFn): Promise<Record<string, Float32Array>[]> {
  const graph = buildGuidanceGraph(clip, { image: { height: 256, width: 256 }, cutn: 8, targets: 2, lossFn, augment: false });
  expect(opsOffWebGpu(graph)).toEqual([]);
  const xIn = v('s256.x_in');
  const common = { x_in: f32([1, 3, 256, 256], xIn), pred_xstart: f32([1, 3, 256, 256], xIn.map((x) => Math.fround(1.1 * x))), target_embeds: f32([2, 32], v('target_embeds')), target_weights: f32([2], v('weights')), ...scaleFeeds(SCALES, 2) };
  const out: Record<string, Float32Array>[] = [];
  for (const b of [0, 1]) {
    const r = await runGraph(graph, { ...common, ...cutoutFeeds(recordedCutouts(b), GEOMETRY) });
    out.push(Object.fromEntries(Object.entries(r).map(([k, t]) => [k, t.data as Float32Array])));
  }
  return out;
}

const sumOf = (a: Float32Array, b: Float32Array) => a.map((x, i) => x + b[i]!);

describeWithFixtures('guidance-gradient model against cond_fn at 256×256 (guidance group, s256)', () => {
  beforeAll(async () => {
    ref = await readReferences('guidance', ['target_embeds', 'weights', 's256.cutout_params', 's256.x_in', 's256.tv_loss', 's256.range_loss', 's256.sat_loss', 's256.grad_other', ...['spherical', 'cos_spherical'].flatMap((l) => [`s256.${l}.clip_loss_values`, `s256.${l}.x_in_grad`]), 's256.spherical.grad_clip']);
    clip = await withFixture('clip/clip_jit.pt', (ck) => loadClip(ck));
  });

  it.each(['spherical', 'cos_spherical'] as const)('%s: loss terms and d(total)/d(x_in) within 1e-4 × max|ref|', async (lossFn) => {
    const [b0, b1] = (await runBatches(lossFn)) as [Record<string, Float32Array>, Record<string, Float32Array>];
    expect(relativeError([b0.clip_loss![0]!, b1.clip_loss![0]!], v(`s256.${lossFn}.clip_loss_values`))).toBeLessThan(TOL);
    for (const term of ['tv_loss', 'range_loss', 'sat_loss']) expect(relativeError(b0[term]!, v(`s256.${term}`)), term).toBeLessThan(TOL);
    expect(relativeError(b0.grad_other!, v('s256.grad_other'))).toBeLessThan(TOL);
    const gradClip = sumOf(b0.grad_clip!, b1.grad_clip!);
    if (lossFn === 'spherical') expect(relativeError(gradClip, v('s256.spherical.grad_clip'))).toBeLessThan(TOL);
    expect(relativeError(sumOf(gradClip, b0.grad_other!), v(`s256.${lossFn}.x_in_grad`))).toBeLessThan(TOL);
  });
});
