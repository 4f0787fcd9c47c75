import { grad, Graph } from '../../graph';
import {
  affineSources, cropPixelToInput, cropSize, cutoutFeeds, cutoutInputs, makeCutouts, paddedSize, perspectiveCoefficients, perspectiveStartpoints,
  type CutoutGeometry, type CutoutParams, type Point,
} from '../../models/guidance/index';
import { hostTensor, type HostTensor, type Runtime } from '../../runtime';
import { roundHalfEven } from '../../sampling/respacing';
import { ref, relCheck, runOnce, withRefs, type Refs } from './model-checks';
import { exact, guardMany } from './results';
import type { CheckResult, GroupContext } from './types';

/** The tolerance: max |error| ≤ 1e-4 · max |reference| for the cuts and for the VJP. */
const REL = 1e-4;

/** Cutout k's recorded parameters (`<prefix>.*` tensors) in our form, with the perspective coefficients torchvision used. */
export function recordedCutout(refs: Refs, prefix: string, k: number): CutoutParams {
  const v = (name: string) => ref(refs, `${prefix}.${name}`);
  const c = v('crop').subarray(k * 4, k * 4 + 4);
  const crop = { height: c[0]!, width: c[1]!, offsetY: c[2]!, offsetX: c[3]! };
  if (!refs.has(`${prefix}.flip`)) return { crop };
  const perspective = v('perspective')[k] ? { perspective: [...v('persp_coeffs').subarray(k * 8, k * 8 + 8)] } : {};
  const translate = [v('translate')[k * 2]!, v('translate')[k * 2 + 1]!] as const;
  return { crop, augment: { flip: v('flip')[k] === 1, angle: v('angle')[k]!, translate, ...perspective, grayscale: v('grayscale')[k] === 1 } };
}

/**
 * The affine read maps with torch's choice at the recorded float32-grid near-ties
 * (`aug.nearest_f64_mismatch`: k, out_y, out_x, torch y, x, float64 y, x); returns how many of
 * those our float64 evaluation had read as the float64 formula does (all of them, when it is right).
 */
export function affineSourcesAsTorch(refs: Refs, params: readonly CutoutParams[], g: CutoutGeometry): { sources: Int32Array[]; agreeing: number; ties: number } {
  const sources = params.map((c) => affineSources(c, g));
  const ties = refs.get('aug.nearest_f64_mismatch')?.data ?? new Float32Array(0);
  const at = (c: CutoutParams, y: number, x: number) => (y < 0 || x < 0 ? -1 : cropPixelToInput(y, x, c, g));
  let agreeing = 0;
  for (let r = 0; r < ties.length / 7; r++) {
    const [k, oy, ox, ty, tx, fy, fx] = ties.subarray(r * 7, r * 7 + 7) as unknown as number[];
    const c = params[k!]!;
    const i = oy! * c.crop.width + ox!;
    if (sources[k!]![i] === at(c, fy!, fx!)) agreeing++;
    sources[k!]![i] = at(c, ty!, tx!);
  }
  return { sources, agreeing, ties: ties.length / 7 };
}

/** Cuts and dL/d(input) for L = Σ G·cuts, G = cotangent_q / 8. */
async function cutsAndVjp(runtime: Runtime, refs: Refs, g: CutoutGeometry, augmented: boolean, feeds: Record<string, HostTensor>) {
  const graph = new Graph('cutouts');
  const image = graph.input('image', 'float32', [1, 3, g.height, g.width]);
  const cutShape = [g.cutn, 3, g.cutSize, g.cutSize];
  const cot = graph.input('cotangent', 'float32', cutShape);
  const cuts = makeCutouts(image, cutoutInputs(graph, g, augmented), g);
  graph.output(cuts, 'cuts');
  graph.output(grad([cuts], [image], [cot])[0]!, 'grad');
  const input = hostTensor('float32', [1, 3, g.height, g.width], ref(refs, 'input'));
  return runOnce(runtime, graph, { image: input, cotangent: hostTensor('float32', cutShape, ref(refs, 'cotangent_q').map((q) => q / 8)), ...feeds });
}

/** The raw draws → parameters mapping: crop size law, half-to-even translation, perspective solve. */
function drawChecks(group: string, refs: Refs, g: CutoutGeometry, prefix: string): CheckResult[] {
  const [hp, wp] = paddedSize(g);
  const ks = Array.from({ length: g.cutn }, (_, k) => k);
  const random = ks.filter((k) => !ref(refs, `${prefix}.is_full`)[k]);
  const sizes = random.filter((k) => cropSize(ref(refs, `${prefix}.draw.normal`)[k]!, Math.min(hp, wp), g.cutSize) !== ref(refs, `${prefix}.crop`)[k * 4]).length;
  const results = [exact(group, `${prefix}: crop size law on the raw normal draws`, sizes)];
  if (prefix !== 'aug') return results;
  const u = ref(refs, 'aug.draw.uniform');
  const translations = ks.filter((k) => roundHalfEven(u[k * 3 + 1]!) !== ref(refs, 'aug.translate')[k * 2] || roundHalfEven(u[k * 3 + 2]!) !== ref(refs, 'aug.translate')[k * 2 + 1]).length;
  const points = (name: string, k: number): Point[] => Array.from({ length: 4 }, (_, i) => [ref(refs, name)[k * 8 + i * 2]!, ref(refs, name)[k * 8 + i * 2 + 1]!]);
  const solved = ks.filter((k) => ref(refs, 'aug.perspective')[k]).flatMap((k) => {
    const w = ref(refs, 'aug.crop')[k * 4 + 1]!;
    const h = ref(refs, 'aug.crop')[k * 4]!;
    return [...perspectiveCoefficients(perspectiveStartpoints(w, h), points('aug.persp_endpoints', k))];
  });
  const expected = ks.filter((k) => ref(refs, 'aug.perspective')[k]).flatMap((k) => [...ref(refs, 'aug.persp_coeffs_f64solve').subarray(k * 8, k * 8 + 8)]);
  return [...results, exact(group, 'aug: translation = round-half-even of the raw draws', translations), relCheck(group, 'aug: perspective coefficients (float64 solve)', solved, expected, 1e-6)];
}

async function operatorChecks(runtime: Runtime, group: string, refs: Refs, g: CutoutGeometry, prefix: 'aug' | 'noaug'): Promise<CheckResult[]> {
  const params = Array.from({ length: g.cutn }, (_, k) => recordedCutout(refs, prefix, k));
  const torch = prefix === 'aug' ? affineSourcesAsTorch(refs, params, g) : undefined;
  const out = await cutsAndVjp(runtime, refs, g, prefix === 'aug', cutoutFeeds(params, g, torch?.sources));
  const results = [
    relCheck(group, `${prefix}: cuts`, out.cuts!.data as Float32Array, ref(refs, `${prefix}.cuts`), REL),
    relCheck(group, `${prefix}: VJP to the input image`, out.grad!.data as Float32Array, ref(refs, `${prefix}.grad_input`), REL),
  ];
  if (torch) results.push(exact(group, 'aug: float64 nearest reads = the recorded float64 reads at the ties', torch.ties - torch.agreeing, `${torch.ties} near-tie pixels patched to torch's reads`));
  return results;
}

/** MakeCutouts with recorded parameters: draws → parameters, cuts and VJP with and without augmentations. */
export const cutoutsModel = (ctx: GroupContext): AsyncIterable<CheckResult> => withRefs(ctx, async function* (refs) {
  const group = ctx.manifest.group;
  const s = ctx.manifest.settings as { input_hw: [number, number]; cut_size: number; cutn: number };
  const geometry: CutoutGeometry = { height: s.input_hw[0], width: s.input_hw[1], cutSize: s.cut_size, cutn: s.cutn };
  for (const prefix of ['noaug', 'aug'] as const) {
    yield* await guardMany(group, `${prefix}: parameters`, () => Promise.resolve(drawChecks(group, refs, geometry, prefix)));
    yield* await guardMany(group, `${prefix}: operator`, () => operatorChecks(ctx.runtime, group, refs, geometry, prefix));
  }
});
