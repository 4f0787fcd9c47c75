import { div, grad, Graph, opsOffWebGpu, optimize, reduceSum, sub } from '../../graph';
import { argmaxIndex, buildTextEncoderGraph, clipParams, encodeImage, loadClip, textEncoderFeeds, type ClipArchitecture } from '../../models/clip/index';
import { sphericalDistLoss } from '../../models/guidance/index';
import { hostTensor } from '../../runtime';
import { isCheckpointFile } from './checkpoint-files';
import { ref, relCheck, runOnce, runOptimized, withCheckpoint, withRefs, type Refs } from './model-checks';
import { exact, guardMany } from './results';
import type { CheckResult, GroupContext } from './types';

interface RnConfig {
  readonly clip_kwargs: { readonly embed_dim: number; readonly image_resolution: number; readonly vision_layers: readonly number[]; readonly vision_width: number };
}

/** The config (settings.configs key, the tensors' prefix) whose clip_kwargs describe the architecture read from a file. */
function configOf(ctx: GroupContext, a: ClipArchitecture): string | undefined {
  const configs = (ctx.manifest.settings.configs ?? {}) as Readonly<Record<string, RnConfig>>;
  return Object.keys(configs).find((key) => {
    const k = configs[key]!.clip_kwargs;
    return k.vision_width === a.visionWidth && k.image_resolution === a.imageResolution && k.embed_dim === a.embedDim && k.vision_layers.join() === a.visionResNetLayers?.join();
  });
}

/**
 * encode_image of `image` with its intermediates and a VJP of a cotangent, and the guidance
 * loss Σ spherical_dist(encode_image(normalize(image01)), target) with its gradients for
 * image01 and the embedding: one graph.
 */
function imageGraph(ctx: GroupContext, clip: Awaited<ReturnType<typeof loadClip>>, shape: readonly number[]): Graph {
  const { mean, std } = ctx.manifest.settings.normalize as { mean: number[]; std: number[] };
  const g = new Graph('clip-rn-conformance');
  const p = clipParams(g, clip.weights);
  const image = g.input('image', 'float32', shape);
  const enc = encodeImage(image, p, clip.architecture);
  g.output(enc.out, 'encode_image.out');
  for (const [name, t] of Object.entries(enc.intermediates)) g.output(t, `visual.${name}`);
  const [vjp] = grad([enc.out], [image], [g.input('vjp.cotangent', 'float32', enc.out.shape)]);
  g.output(vjp!, 'vjp.grad_input');
  const image01 = g.input('image01', 'float32', shape);
  const normalized = div(sub(image01, g.constant('float32', [1, 3, 1, 1], Float32Array.from(mean))), g.constant('float32', [1, 3, 1, 1], Float32Array.from(std)));
  const embed = encodeImage(normalized, p, clip.architecture).out;
  const dists = sphericalDistLoss(embed, g.input('target', 'float32', [1, clip.architecture.embedDim]));
  const loss = reduceSum(dists, [0, 1]);
  const [dImage, dEmbed] = grad([loss], [image01, embed], [g.constant('float32', loss.shape, Float32Array.of(1))]);
  g.output(dists, 'guidance.dists');
  g.output(loss, 'guidance.loss');
  g.output(dImage!, 'guidance.grad');
  g.output(dEmbed!, 'guidance.d_loss_d_embed');
  return g;
}

/** Image 0's part of a batch output, as the fixtures record intermediates. */
const firstImage = (data: Float32Array, reference: Float32Array): Float32Array => data.subarray(0, reference.length);

async function fileChecks(ctx: GroupContext, refs: Refs, file: string): Promise<CheckResult[]> {
  const group = ctx.manifest.group;
  const clip = await withCheckpoint(ctx, ctx.path(file), (ck) => loadClip(ck));
  const key = configOf(ctx, clip.architecture);
  if (!key) return [exact(group, `${file}: architecture in settings.configs`, Infinity, `no config describes blocks ${clip.architecture.visionResNetLayers?.join('-')}, width ${clip.architecture.visionWidth}`)];
  const tol = Number((ctx.manifest.settings.tolerances as { default_rel?: number }).default_rel ?? 1e-4);
  const check = (name: string, actual: ArrayLike<number>, refName: string) => relCheck(group, `${file}: ${name}`, actual, ref(refs, refName), tol);
  const feed = (name: string) => hostTensor('float32', refs.get(name)!.shape, ref(refs, name));
  const tokens = ref(refs, 'tokens');
  const context = refs.get('tokens')!.shape[1]!;
  const n = tokens.length / context;
  const batch = Array.from({ length: n }, (_, i) => {
    const ids = Int32Array.from(tokens.subarray(i * context, (i + 1) * context));
    return { ids, eotIndex: argmaxIndex(ids), truncated: false, length: 0 };
  });
  const text = await runOnce(ctx.runtime, buildTextEncoderGraph(clip.weights, clip.architecture, { batch: n, intermediates: true }), textEncoderFeeds(batch));
  const textOut = text.embedding!.data as Float32Array;
  const image = feed(`${key}.image`);
  const graph = optimize(imageGraph(ctx, clip, image.shape));
  const off = opsOffWebGpu(graph);
  const out = await runOptimized(ctx.runtime, graph, {
    image, image01: feed(`${key}.image01`), 'vjp.cotangent': feed(`${key}.vjp.cotangent`),
    target: hostTensor('float32', [1, clip.architecture.embedDim], textOut.slice(0, clip.architecture.embedDim)),
  });
  const results = [
    exact(group, `${file}: config ${key}, eot index = argmax`, batch.filter((b, i) => b.eotIndex !== ref(refs, 'eot_index')[i]).length),
    exact(group, `${file}: encoder, VJP and guidance-gradient ops all on WebGPU`, off.length, off.join(', ') || undefined),
    check('encode_text ln_final', text.ln_final!.data as Float32Array, `${key}.encode_text.ln_final`),
    check('encode_text', textOut, `${key}.encode_text.out`),
  ];
  for (const name of [...refs.keys()].filter((k) => k.startsWith(`${key}.visual.`) && k !== `${key}.visual.attnpool`)) {
    const reference = ref(refs, name);
    results.push(check(name.slice(key.length + 1), firstImage(out[name.slice(key.length + 1)]!.data as Float32Array, reference), name));
  }
  results.push(check('visual.attnpool', out['encode_image.out']!.data as Float32Array, `${key}.visual.attnpool`));
  for (const name of ['encode_image.out', 'vjp.grad_input', 'guidance.dists', 'guidance.loss', 'guidance.grad', 'guidance.d_loss_d_embed']) {
    results.push(check(name, out[name]!.data as Float32Array, `${key}.${name}`));
  }
  return results;
}

/**
 * The clip_rn group: each CLIP ResNet checkpoint (state dict and TorchScript), its config found in
 * settings.configs by the architecture read from it; the text tower, the image tower's stem, stages,
 * downsample branch and attention-pool tokens (image 0), encode_image, its VJP, and the guidance
 * loss with its gradients, within the manifest's default tolerance.
 */
export const clipRnModel = (ctx: GroupContext): AsyncIterable<CheckResult> => withRefs(ctx, async function* (refs) {
  for (const file of Object.keys(ctx.manifest.files).filter(isCheckpointFile)) {
    yield* await guardMany(ctx.manifest.group, `${file}: ResNet CLIP`, () => fileChecks(ctx, refs, file));
  }
});
