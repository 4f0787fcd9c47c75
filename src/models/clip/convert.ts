import { openCheckpoint } from '../../checkpoint/index';
import { EngineError } from '../../errors';
import { optimize, serialize, type Graph } from '../../graph';
import type { ConvertedFile, ConvertRequest, ConvertedModel } from '../convert';
import { buildGuidanceGraph, CLIP_MEAN, CLIP_STD, type GuidanceGraphOptions } from '../guidance/guidance-graph';
import { clipModelName } from './architecture';
import { buildImageEncoderGraph, buildTextEncoderGraph } from './graphs';
import { loadClip, type HfClipConfig } from './state-dict';
import { EOT_TOKEN, SOT_TOKEN } from './tokenizer';

export const CLIP_CONVERT_USAGE =
  'convert clip --checkpoint F --out DIR [--fp16 | --fp32] [--hf_config config.json] [--height 256 --width 256] [--cutn 10] [--targets 8] [--skip_augs] [--loss_fn spherical|cos_spherical]';

const OPTIONS = ['hf_config', 'height', 'width', 'cutn', 'targets', 'loss_fn'];

function positiveInt(key: string, v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n < 1) throw new EngineError(`convert clip: --${key} expects a positive integer, got ${v ?? 'nothing'}`);
  return n;
}

function parseArgs(args: readonly string[]): { own: Record<string, string>; skipAugs: boolean } {
  const own: Record<string, string> = {};
  let skipAugs = false;
  for (let i = 0; i < args.length; i++) {
    const key = args[i]!.replace(/^--/, '');
    if (key === 'skip_augs') skipAugs = true;
    else if (OPTIONS.includes(key) && args[i + 1] !== undefined) own[key] = args[++i]!;
    else throw new EngineError(`convert clip: unknown or incomplete option ${args[i]} (usage: ${CLIP_CONVERT_USAGE})`);
  }
  return { own, skipAugs };
}

/**
 * The guidance graph's fixed sizes; prompts beyond `targets` need a larger --targets (unused rows get weight 0).
 * cutn defaults to 10: the studio runs a job's cutn in runs of this many, so it must divide the job's
 * cutn (sample.py's default 30), and 10 is what the pipeline runs by default on the wasm heap.
 */
function guidanceOptions(own: Record<string, string>, skipAugs: boolean): GuidanceGraphOptions {
  const lossFn = own.loss_fn ?? 'spherical';
  if (lossFn !== 'spherical' && lossFn !== 'cos_spherical') throw new EngineError(`convert clip: --loss_fn must be spherical or cos_spherical, got ${lossFn}`);
  return {
    image: { height: positiveInt('height', own.height ?? '256'), width: positiveInt('width', own.width ?? '256') },
    cutn: positiveInt('cutn', own.cutn ?? '10'),
    targets: positiveInt('targets', own.targets ?? '8'),
    lossFn,
    augment: !skipAugs,
  };
}

function exportGraph(graph: Graph, path: string, fp16: boolean) {
  const data = serialize(optimize(graph), { weights: fp16 ? 'float16' : 'float32' });
  // A dim each run chooses is listed by its name (the cutouts' tap count).
  const doc = (t: Graph['inputs'][number]) => ({ name: t.name, dtype: t.dtype, shape: t.shape.map((d, i) => graph.symbolicDims[t.name]?.[i] ?? d) });
  return { file: { path, data }, doc: { path, bytes: data.byteLength, inputs: graph.inputs.map(doc), outputs: graph.outputs.map(doc) } };
}

/**
 * `convert clip`: reads a CLIP checkpoint (OpenAI TorchScript or state dict, or HF safetensors with
 * --hf_config), infers its architecture and writes the text encoder, the image encoder and the
 * guidance-gradient graph for the given image size, cutn and target count, with model.json. Weights
 * are float16 unless --fp32 (OpenAI ships them in float16). The BPE vocabulary is not written: the
 * app loads bpe_simple_vocab_16e6.txt.gz beside the model.
 */
export async function convertClip(request: ConvertRequest): Promise<ConvertedModel> {
  const { own, skipAugs } = parseArgs(request.args);
  const hfConfig = own.hf_config === undefined ? undefined : (JSON.parse(await request.readText(own.hf_config)) as HfClipConfig);
  const clip = await loadClip(await openCheckpoint(request.source), hfConfig);
  const fp16 = request.fp16 ?? true;
  const guidance = guidanceOptions(own, skipAugs);
  const exported = [
    exportGraph(buildTextEncoderGraph(clip.weights, clip.architecture), 'clip_text.onnx', fp16),
    exportGraph(buildImageEncoderGraph(clip.weights, clip.architecture), 'clip_image.onnx', fp16),
    exportGraph(buildGuidanceGraph(clip, guidance), 'clip_guidance.onnx', fp16),
  ];
  const files: ConvertedFile[] = exported.map((e) => e.file);
  const manifest = {
    kind: 'clip',
    name: clipModelName(clip.architecture),
    source: { file: request.sourceName, bytes: request.source.size, sha256: request.sourceSha256 },
    weights: fp16 ? 'float16' : 'float32',
    architecture: clip.architecture,
    normalize: { mean: CLIP_MEAN, std: CLIP_STD },
    tokenizer: { vocabulary: 'bpe_simple_vocab_16e6.txt.gz', context_length: clip.architecture.contextLength, sot: SOT_TOKEN, eot: EOT_TOKEN },
    guidance,
    graphs: exported.map((e) => e.doc),
  };
  return { files, manifest };
}
