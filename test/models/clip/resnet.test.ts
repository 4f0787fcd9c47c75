import { expect, it } from 'vitest';
import { opsOffWebGpu } from '../../../src/graph';
import { clipModelName, type ClipArchitecture } from '../../../src/models/clip/index';
import { clipShapes, seededArrays } from '../../../src/models/demo/index';
import { buildGuidanceGraph, cutoutFeeds, drawCutouts, perspectiveCoefficients, scaleFeeds } from '../../../src/models/guidance/index';
import { hostTensor } from '../../../src/runtime';
import { applyScaleMultiplier } from '../../../src/sampling/guidance-input';
import { createRng } from '../../../src/sampling/rng';
import { runGraph } from '../../helpers/ort';

/** A tiny ModifiedResNet CLIP at 64 px: like RN50x64 on a 256² image, its cut is larger than the padded 32² image (48²). */
const TINY_RN: ClipArchitecture = {
  embedDim: 16, imageResolution: 64, visionLayers: 4, visionWidth: 8, visionPatchSize: 32, visionHeads: 4, visionResNetLayers: [1, 1, 1, 1],
  contextLength: 77, vocabSize: 64, textWidth: 16, textHeads: 1, textLayers: 1, activation: 'quick_gelu', layerNormEps: 1e-5,
};

it("guides with a ResNet CLIP whose cut is larger than the padded image: every crop the whole image, pooled up, and the gradient is the loss's (central differences)", async () => {
  expect(clipModelName(TINY_RN)).toBe('ResNet (blocks 1-1-1-1, width 8, 64px)');
  const clip = { architecture: TINY_RN, weights: seededArrays(clipShapes(TINY_RN), 5) };
  const geometry = { height: 32, width: 32, cutSize: 64, cutn: 4 };
  const graph = buildGuidanceGraph(clip, { image: { height: 32, width: 32 }, cutn: 4, targets: 1, lossFn: 'spherical', augment: true });
  expect(opsOffWebGpu(graph)).toEqual([]);
  const params = drawCutouts(createRng(3), geometry, false, perspectiveCoefficients);
  expect(params.map((p) => [p.crop.height, p.crop.offsetY, p.crop.offsetX])).toEqual(Array.from({ length: 4 }, () => [48, 0, 0]));
  const rng = createRng(4);
  const x = rng.fillNormal(new Float32Array(3 * 32 * 32)).map((v) => 0.5 * v);
  const feeds = (xIn: Float32Array) => ({
    x_in: hostTensor('float32', [1, 3, 32, 32], xIn), pred_xstart: hostTensor('float32', [1, 3, 32, 32], xIn),
    target_embeds: hostTensor('float32', [1, 16], rng.fillNormal(new Float32Array(16))), target_weights: hostTensor('float32', [1], Float32Array.of(1)),
    ...scaleFeeds(applyScaleMultiplier({ clipGuidanceScale: 1, tvScale: 0, rangeScale: 0, saturationScale: 0, initScale: 0 }, 1), 1),
    ...cutoutFeeds(params, geometry),
  });
  const base = feeds(x);
  const run = async (xIn: Float32Array) => runGraph(graph, { ...base, x_in: hostTensor('float32', [1, 3, 32, 32], xIn), pred_xstart: hostTensor('float32', [1, 3, 32, 32], xIn) });
  const out = await run(x);
  const gradient = out.grad_clip!.data as Float32Array;
  expect(gradient.every(Number.isFinite)).toBe(true);
  // Along the gradient (unit length), where the change is largest against float32 rounding; a step of 0.2 % of |x|.
  const norm = Math.hypot(...gradient);
  const direction = gradient.map((g) => g / norm);
  const eps = 0.05;
  const loss = async (sign: number) => Number((await run(x.map((v, i) => v + sign * eps * direction[i]!))).clip_loss!.data[0]);
  const numeric = ((await loss(1)) - (await loss(-1))) / (2 * eps);
  const analytic = gradient.reduce((s, g, i) => s + g * direction[i]!, 0);
  expect(Math.abs(analytic - numeric)).toBeLessThan(2e-2 * Math.abs(analytic));
});
