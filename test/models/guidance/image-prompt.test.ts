import { expect, it } from 'vitest';
import { Graph } from '../../../src/graph';
import { buildImageEncoderGraph } from '../../../src/models/clip/graphs';
import { loadClip } from '../../../src/models/clip/state-dict';
import { cutoutFeeds, cutoutInputs, drawCutouts, makeCutouts, perspectiveCoefficients, type CutoutGeometry } from '../../../src/models/guidance/index';
import { buildImagePromptGraph, CLIP_MEAN, CLIP_STD } from '../../../src/models/guidance/guidance-graph';
import { hostTensor } from '../../../src/runtime';
import { createRng } from '../../../src/sampling/rng';
import { describeWithFixtures } from '../../fixtures';
import { runGraph } from '../../helpers/ort';
import { relativeError, withFixture } from '../clip/reference';

describeWithFixtures('image prompt embeddings', () => {
  it('are the L2-normalised encode_image of the CLIP-normalised augmented cutouts', async () => {
    const clip = await withFixture('clip/clip_jit.pt', (ck) => loadClip(ck));
    const geometry: CutoutGeometry = { height: 64, width: 48, cutSize: 224, cutn: 3 };
    const image = hostTensor('float32', [1, 3, 64, 48], Float32Array.from({ length: 3 * 64 * 48 }, (_, i) => 0.5 + 0.5 * Math.sin(0.37 * i)));
    const feeds = cutoutFeeds(drawCutouts(createRng(5), geometry, false, perspectiveCoefficients), geometry);
    const embeds = (await runGraph(buildImagePromptGraph(clip, { image: { height: 64, width: 48 }, cutn: 3, augment: true }), { image, ...feeds })).embeds!.data as Float32Array;
    // Independently: the cutouts alone, normalised here, through the plain image encoder.
    const g = new Graph('cuts');
    g.output(makeCutouts(g.input('image', 'float32', [1, 3, 64, 48]), cutoutInputs(g, geometry, true), geometry), 'cuts');
    const cuts = (await runGraph(g, { image, ...feeds })).cuts!.data as Float32Array;
    const plane = 224 * 224;
    const normalised = cuts.map((v, i) => (v - CLIP_MEAN[Math.floor(i / plane) % 3]!) / CLIP_STD[Math.floor(i / plane) % 3]!);
    const raw = (await runGraph(buildImageEncoderGraph(clip.weights, clip.architecture, { batch: 3 }), { image: hostTensor('float32', [3, 3, 224, 224], normalised) })).embedding!.data as Float32Array;
    const expected = raw.map((v, i) => {
      const row = raw.subarray(Math.floor(i / 32) * 32, Math.floor(i / 32) * 32 + 32);
      return v / Math.hypot(...row);
    });
    expect(relativeError(embeds, expected)).toBeLessThan(1e-5);
    for (let k = 0; k < 3; k++) expect(Math.hypot(...embeds.subarray(k * 32, k * 32 + 32))).toBeCloseTo(1, 5);
  });
});
