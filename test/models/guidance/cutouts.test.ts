import { beforeAll, expect, it } from 'vitest';
import { grad, Graph, opsOffWebGpu } from '../../../src/graph';
import { hostTensor, type HostTensor } from '../../../src/runtime';
import { affineSourcesAsTorch, recordedCutout } from '../../../src/cli/conformance/cutouts-model';
import { cropFeeds } from '../../../src/models/guidance/cutout-maps';
import { cutoutFeeds } from '../../../src/models/guidance/guidance-feeds';
import { roundHalfEven } from '../../../src/sampling/respacing';
import { cropSize, perspectiveStartpoints, type CutoutGeometry, type Point } from '../../../src/models/guidance/cutout-params';
import { cutoutInputs, makeCutouts } from '../../../src/models/guidance/cutout-graph';
import { perspectiveCoefficients } from '../../../src/models/guidance/perspective';
import { runGraph } from '../../helpers/ort';
import { describeWithFixtures } from '../../fixtures';
import { readReferences, relativeError, type RefTensor } from '../clip/reference';

const GEOMETRY: CutoutGeometry = { height: 256, width: 256, cutSize: 224, cutn: 8 };
const PARAM_NAMES = ['is_full', 'crop', 'draw.normal', 'flip', 'angle', 'translate', 'perspective', 'persp_startpoints', 'persp_endpoints', 'persp_coeffs', 'persp_coeffs_f64solve', 'grayscale', 'draw.uniform', 'cuts', 'grad_input'];

let ref: Record<string, RefTensor>;
const v = (name: string): Float32Array => ref[name]!.data;

const refMap = () => new Map(Object.entries(ref));

/** Cuts and dL/d(input) for L = Σ G·cuts through our graph, with the given parameter feeds. */
async function cutsAndVjp(augmented: boolean, feeds: Record<string, HostTensor>): Promise<{ cuts: Float32Array; grad: Float32Array }> {
  const g = new Graph('cutouts');
  const image = g.input('image', 'float32', [1, 3, 256, 256]);
  const cot = g.input('cotangent', 'float32', [8, 3, 224, 224]);
  const cuts = makeCutouts(image, cutoutInputs(g, GEOMETRY, augmented), GEOMETRY);
  g.output(cuts, 'cuts');
  g.output(grad([cuts], [image], [cot])[0]!, 'grad');
  expect(opsOffWebGpu(g)).toEqual([]);
  const out = await runGraph(g, { image: hostTensor('float32', [1, 3, 256, 256], v('input')), cotangent: hostTensor('float32', [8, 3, 224, 224], v('cotangent_q').map((q) => q / 8)), ...feeds });
  return { cuts: out.cuts!.data as Float32Array, grad: out.grad!.data as Float32Array };
}

describeWithFixtures('MakeCutouts with recorded parameters (cutouts group)', () => {
  beforeAll(async () => {
    ref = await readReferences('cutouts', ['input', 'cotangent_q', 'aug.nearest_f64_mismatch', ...PARAM_NAMES.map((n) => `aug.${n}`), ...['is_full', 'crop', 'draw.normal', 'cuts', 'grad_input'].map((n) => `noaug.${n}`)]);
  });

  it('maps the raw draws to the recorded parameters (size law, half-to-even rounding, perspective solve)', () => {
    for (const prefix of ['aug', 'noaug']) {
      for (let k = 0; k < 8; k++) {
        if (v(`${prefix}.is_full`)[k]) continue;
        expect(cropSize(v(`${prefix}.draw.normal`)[k]!, 384, 224), `${prefix} ${k}`).toBe(v(`${prefix}.crop`)[k * 4]);
      }
    }
    for (let k = 0; k < 8; k++) {
      const [tx, ty] = [v('aug.draw.uniform')[k * 3 + 1]!, v('aug.draw.uniform')[k * 3 + 2]!];
      expect([roundHalfEven(tx), roundHalfEven(ty)]).toEqual([v('aug.translate')[k * 2], v('aug.translate')[k * 2 + 1]]);
      if (!v('aug.perspective')[k]) continue;
      const size = v('aug.crop')[k * 4]!;
      const points = (name: string): Point[] => Array.from({ length: 4 }, (_, i) => [v(name)[k * 8 + i * 2]!, v(name)[k * 8 + i * 2 + 1]!]);
      expect(points('aug.persp_startpoints')).toEqual(perspectiveStartpoints(size, size));
      const coeffs = perspectiveCoefficients(points('aug.persp_startpoints'), points('aug.persp_endpoints'));
      expect(relativeError(coeffs, v('aug.persp_coeffs_f64solve').subarray(k * 8, k * 8 + 8))).toBeLessThan(1e-6);
    }
  });

  it('skip_augs: cuts and their VJP within 1e-5 × max|ref|', async () => {
    const params = Array.from({ length: 8 }, (_, k) => recordedCutout(refMap(), 'noaug', k));
    const f = cropFeeds(params, GEOMETRY);
    const out = await cutsAndVjp(false, { cut_rows: hostTensor('float32', [8, 1, 224, 256], f.rows), cut_cols: hostTensor('float32', [8, 1, 224, 256], f.cols) });
    expect(relativeError(out.cuts, v('noaug.cuts'))).toBeLessThan(1e-5);
    expect(relativeError(out.grad, v('noaug.grad_input'))).toBeLessThan(1e-5);
  });

  it('flip, affine (nearest), perspective (bilinear × mask), grayscale: cuts and VJP within 1e-4 × max|ref|', async () => {
    const params = Array.from({ length: 8 }, (_, k) => recordedCutout(refMap(), 'aug', k));
    // Torch's float32 grid reads another pixel at the 18 recorded near-ties of the float64 formula.
    const { sources, agreeing, ties } = affineSourcesAsTorch(refMap(), params, GEOMETRY);
    expect([agreeing, ties]).toEqual([18, 18]);
    const out = await cutsAndVjp(true, cutoutFeeds(params, GEOMETRY, sources));
    expect(relativeError(out.cuts, v('aug.cuts'))).toBeLessThan(1e-4);
    expect(relativeError(out.grad, v('aug.grad_input'))).toBeLessThan(1e-4);
  });
});
