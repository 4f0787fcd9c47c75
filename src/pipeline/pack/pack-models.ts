import { PackError, SettingsError } from '../../errors';
import { optimize, serialize } from '../../graph';
import { createClipTokenizer, CONTEXT_LENGTH } from '../../models/clip/index';
import { buildPromptCutoutGraph } from '../../models/guidance/index';
import { createSwinIRUpscaler, type SwinIRUpscaler } from '../../models/swinir/index';
import type { Runtime } from '../../runtime';
import { sessionPool, type GraphSpec, type PoolOptions, type LoadedModels, type RunSession } from '../models';
import type { GenerationSettings } from '../settings';
import { parseModelJson, type ClipJson, type GraphEntry, type UnetJson } from './model-json';
import { imagePromptSession, paddedTargets } from './pack-sessions';

/** One converted model of a pack: its model.json and its files by name (the bytes the cache downloaded). */
export interface PackModel {
  /** For messages: the manifest entry's label. */
  readonly label: string;
  readonly modelJson: Uint8Array;
  readonly file: (name: string) => Promise<Uint8Array>;
}

/** The converted models a job runs: `cli convert unet`, `cli convert clip` (+ CLIP's BPE vocabulary) and optionally `cli convert swinir`. */
export interface PackSources {
  readonly unet: PackModel;
  readonly clip: PackModel;
  /** bpe_simple_vocab_16e6.txt.gz: cli convert clip does not write it. */
  readonly vocabulary: Uint8Array;
  readonly swinir?: Partial<Record<'M' | 'L', PackModel>>;
}

export type LoadPackOptions = PoolOptions;

/** The pack's graphs by key: GraphSpecs (the guidance one at the pack's fixed sizes) and the image encoder. */
type PackGraph = GraphSpec | { readonly kind: 'clip_image' };

const CLIP_IMAGE: PackGraph = { kind: 'clip_image' };

const NO_IMAGE_ENCODER = "image prompts need the pack's clip_image.onnx, which its CLIP model does not list";

function selfContained(graph: GraphEntry, label: string): GraphEntry {
  if (graph.external.length > 0) throw new PackError(`${label}: '${graph.path}' keeps its weights in external data (${graph.external.join(', ')}), which the studio does not load; convert with --fp16 so it fits one file`);
  return graph;
}

/** The UNet and CLIP must agree: the guidance graph runs on the UNet's images. */
function checkFit(unet: UnetJson, clip: ClipJson, labels: { unet: string; clip: string }): void {
  const size = unet.config.imageSize;
  const { height, width } = clip.guidance.image;
  if (height !== size || width !== size) {
    throw new PackError(`${labels.clip}: clip_guidance.onnx was converted for ${height}×${width} images, but ${labels.unet} makes ${size}×${size}; convert clip with --height ${size} --width ${size}`);
  }
  if (clip.architecture.contextLength !== CONTEXT_LENGTH) throw new PackError(`${labels.clip}: context length ${clip.architecture.contextLength}; the tokenizer writes ${CONTEXT_LENGTH} tokens`);
}

/** The guidance graph's fixed options against a job's (spec §7): loss, augmentation and targets must fit; cutn runs as sub-batches of C. */
function guidanceRefusal(clip: ClipJson, job: { lossFn: string; augment: boolean; targets: number }): string | undefined {
  const g = clip.guidance;
  if (job.lossFn !== g.lossFn) return `the pack's clip_guidance.onnx was converted with --loss_fn ${g.lossFn}; this job asks for ${job.lossFn}`;
  if (job.augment !== g.augment) return `the pack's clip_guidance.onnx was converted ${g.augment ? 'with' : 'without'} augmentations; this job has skip_augs ${!job.augment}`;
  if (job.targets > g.targets) return `this job has ${job.targets} targets (one per text prompt, cutn per image prompt); the pack's clip_guidance.onnx holds at most ${g.targets} (convert clip with --targets ${job.targets} or more)`;
  return undefined;
}

function checkSettingsOf(clip: ClipJson): (s: GenerationSettings) => void {
  const c = clip.guidance.cutn;
  return (s) => {
    if (s.cutn % c !== 0) throw new SettingsError(`cutn ${s.cutn} is not a multiple of ${c}: the pack's clip_guidance.onnx runs ${c} cutouts at a time (C = ${c})`);
    if (s.imagePrompts.length > 0 && !clip.image) throw new SettingsError(NO_IMAGE_ENCODER);
    const refusal = guidanceRefusal(clip, { lossFn: s.lossFn, augment: !s.skipAugs, targets: s.prompts.length + s.imagePrompts.length * s.cutn });
    if (refusal) throw new SettingsError(refusal);
  };
}

/** The canonical spec of the pack's guidance graph for a requested one, or the refusal. */
function guidanceGraphFor(clip: ClipJson, spec: Extract<GraphSpec, { kind: 'guidance' }>): Extract<GraphSpec, { kind: 'guidance' }> {
  const g = clip.guidance;
  if (spec.guide !== 0) throw new SettingsError('a pack holds one CLIP model: it guides alone');
  const refusal = spec.cutn !== g.cutn ? `the pack's clip_guidance.onnx runs ${g.cutn} cutouts at a time (C = ${g.cutn}), not ${spec.cutn}` : guidanceRefusal(clip, spec);
  if (refusal) throw new SettingsError(refusal);
  return { kind: 'guidance', guide: 0, cutn: g.cutn, targets: g.targets, lossFn: g.lossFn, augment: g.augment };
}

/** Which file holds each graph; image-prompt cutouts are built here (weight-free, no checkpoint needed). */
function graphBytes(pack: PackSources, unet: UnetJson, clip: ClipJson): (graph: PackGraph) => Promise<Uint8Array> {
  return async (graph) => {
    switch (graph.kind) {
      case 'unet': return pack.unet.file(unet.forward.path);
      case 'unet_guided': return pack.unet.file(unet.guided.path);
      case 'clip_text': return pack.clip.file(clip.text.path);
      case 'guidance': return pack.clip.file(clip.guidanceGraph.path);
      case 'clip_image': return pack.clip.file(clip.image!.path);
      case 'image_prompt': return serialize(optimize(buildPromptCutoutGraph(clip.architecture.imageResolution, { image: { height: graph.height, width: graph.width }, cutn: graph.cutn, augment: graph.augment })));
      // A pack has no LPIPS (initLoss is unset), so a job never asks for it.
      case 'lpips': throw new SettingsError('a pack holds no LPIPS-VGG: the init loss is off with packs');
    }
  };
}

async function upscalersOf(runtime: Runtime, pack: PackSources): Promise<Partial<Record<'M' | 'L', SwinIRUpscaler>>> {
  const upscalers: Partial<Record<'M' | 'L', SwinIRUpscaler>> = {};
  for (const variant of ['M', 'L'] as const) {
    const model = pack.swinir?.[variant];
    if (!model) continue;
    const json = parseModelJson(model.modelJson, 'swinir', model.label);
    const large = json.config.resiConnection === '3conv';
    if (large !== (variant === 'L')) throw new PackError(`${model.label}: a SwinIR-${large ? 'L' : 'M'} model (resi_connection ${json.config.resiConnection}) cannot be SwinIR-${variant}`);
    upscalers[variant] = createSwinIRUpscaler(runtime, { config: json.config, tile: json.tile, bytes: await model.file(selfContained(json.graph, model.label).path) });
  }
  return upscalers;
}

function parsePack(pack: PackSources): { unet: UnetJson; clip: ClipJson } {
  const unet = parseModelJson(pack.unet.modelJson, 'unet', pack.unet.label);
  const clip = parseModelJson(pack.clip.modelJson, 'clip', pack.clip.label);
  checkFit(unet, clip, { unet: pack.unet.label, clip: pack.clip.label });
  for (const [graph, label] of [[unet.forward, pack.unet.label], [unet.guided, pack.unet.label], [clip.text, pack.clip.label], [clip.guidanceGraph, pack.clip.label]] as const) selfContained(graph, label);
  if (clip.image) selfContained(clip.image, pack.clip.label);
  return { unet, clip };
}

/**
 * LoadedModels from a pack's converted ONNX files (`cli convert` output), checked against each
 * model.json: the pipeline's graph specs map to the pack's files, the guidance graph's fixed cutn C
 * becomes maxCutoutsPerRun (a job's cutn runs as cutn/C sub-batches, job.ts subBatchOf, with the
 * maths of cond-fn.ts cutnBatch), its fixed target count T takes P ≤ T targets padded with weight
 * 0, and SwinIR runs the pack's tile graph. Nothing is built or cached again, except the
 * weight-free cutout graph of image prompts.
 */
export async function loadPackModels(runtime: Runtime, pack: PackSources, options: LoadPackOptions = {}): Promise<LoadedModels> {
  const { unet, clip } = parsePack(pack);
  const upscalers = await upscalersOf(runtime, pack);
  const pool = sessionPool(runtime, graphBytes(pack, unet, clip), options);
  const session = async (spec: GraphSpec): Promise<RunSession> => {
    if (spec.kind === 'guidance') return paddedTargets(await pool.session(guidanceGraphFor(clip, spec)), clip.guidance.targets);
    if (spec.kind !== 'image_prompt') return pool.session(spec);
    if (!clip.image) throw new SettingsError(NO_IMAGE_ENCODER);
    return imagePromptSession(await pool.session(spec), await pool.session(CLIP_IMAGE), clip.encoderBatch);
  };
  return {
    imageSize: unet.config.imageSize,
    cutSizes: [clip.architecture.imageResolution],
    tokenizer: createClipTokenizer(pack.vocabulary),
    maxCutoutsPerRun: clip.guidance.cutn,
    ...(options.oneUnetCopy ? { oneUnetCopy: true } : {}),
    checkSettings: checkSettingsOf(clip),
    upscalers,
    session,
    async release(spec) {
      if (spec.kind === 'guidance') return pool.release(guidanceGraphFor(clip, spec));
      await pool.release(spec);
      if (spec.kind === 'image_prompt') await pool.release(CLIP_IMAGE);
    },
    async dispose() {
      await pool.dispose();
      await Promise.all(Object.values(upscalers).map((u) => u.dispose()));
    },
  };
}
