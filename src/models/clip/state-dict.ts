import { hfClipSource, isFloating, numel, readHfClipAsOpenAI, readTensorFloat32, type Checkpoint, type Tensor } from '../../checkpoint/index';
import { CheckpointError } from '../../errors';
import { inferClipArchitecture, type ClipArchitecture } from './architecture';
import { ATTNPOOL_TENSORS, foldBatchNorms, resNetConvBnPairs } from './resnet-weights';

export interface Weight {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** OpenAI CLIP state-dict names to float32 weights (fp16 files are widened exactly). */
export type ClipStateDict = ReadonlyMap<string, Weight>;

/** Options of an HF config.json that change the graph (the rest is inferred from the tensors). */
export interface HfClipConfig {
  readonly text_config?: { readonly hidden_act?: string; readonly layer_norm_eps?: number; readonly num_attention_heads?: number };
  readonly vision_config?: { readonly hidden_act?: string; readonly layer_norm_eps?: number; readonly num_attention_heads?: number };
}

export interface LoadedClip {
  readonly architecture: ClipArchitecture;
  readonly weights: ClipStateDict;
}

const BLOCK_PARTS = ['attn.in_proj_weight', 'attn.in_proj_bias', 'attn.out_proj.weight', 'attn.out_proj.bias', 'ln_1.weight', 'ln_1.bias', 'mlp.c_fc.weight', 'mlp.c_fc.bias', 'mlp.c_proj.weight', 'mlp.c_proj.bias', 'ln_2.weight', 'ln_2.bias'];
const TEXT_TOP_LEVEL = ['positional_embedding', 'text_projection', 'token_embedding.weight', 'ln_final.weight', 'ln_final.bias'];
const VIT_TOP_LEVEL = ['visual.class_embedding', 'visual.positional_embedding', 'visual.proj', 'visual.conv1.weight', 'visual.ln_pre.weight', 'visual.ln_pre.bias', 'visual.ln_post.weight', 'visual.ln_post.bias'];

/** HF files number their layers 'text_model.encoder.layers.N.'; the OpenAI names of every tensor they should hold. */
function openAiNamesOfHf(hf: ReadonlyMap<string, Tensor>): string[] {
  const layers = (prefix: string) => new Set([...hf.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length).split('.')[0])).size;
  const blocks = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => BLOCK_PARTS.map((p) => `${prefix}${i}.${p}`)).flat();
  return [...TEXT_TOP_LEVEL, 'logit_scale', ...VIT_TOP_LEVEL, ...blocks('transformer.resblocks.', layers('text_model.encoder.layers.')), ...blocks('visual.transformer.resblocks.', layers('vision_model.encoder.layers.'))];
}

async function readOpenAi(ck: Checkpoint): Promise<Map<string, Weight>> {
  const out = new Map<string, Weight>();
  // TorchScript archives also hold int64 scalars (input_resolution, …) that build_model deletes.
  for (const [name, t] of ck.tensors) if (isFloating(t.dtype)) out.set(name, { shape: t.shape, data: await readTensorFloat32(t) });
  return out;
}

async function readHf(ck: Checkpoint): Promise<Map<string, Weight>> {
  const out = new Map<string, Weight>();
  for (const name of openAiNamesOfHf(ck.tensors)) {
    const source = hfClipSource(name);
    const present = source && (source.op === 'concat' ? source.names.every((n) => ck.tensors.has(n)) : ck.tensors.has(source.name));
    if (present) out.set(name, await readHfClipAsOpenAI(ck.tensors, name));
  }
  return out;
}

function applyHfConfig(a: ClipArchitecture, config: HfClipConfig | undefined): ClipArchitecture {
  if (!config) return a;
  const acts = [config.text_config?.hidden_act, config.vision_config?.hidden_act].filter((x) => x !== undefined);
  if (acts.some((x) => x !== 'quick_gelu' && x !== 'gelu') || new Set(acts).size > 1) {
    throw new CheckpointError(`HF CLIP config: hidden_act ${JSON.stringify(acts)} is not supported (expected 'quick_gelu' or 'gelu' for both towers)`);
  }
  return {
    ...a,
    activation: (acts[0] as 'quick_gelu' | 'gelu' | undefined) ?? a.activation,
    layerNormEps: config.text_config?.layer_norm_eps ?? config.vision_config?.layer_norm_eps ?? a.layerNormEps,
    textHeads: config.text_config?.num_attention_heads ?? a.textHeads,
    visionHeads: config.vision_config?.num_attention_heads ?? a.visionHeads,
  };
}

/** Checks every tensor the encoders read is present with the shape the architecture implies. */
function checkComplete(weights: ReadonlyMap<string, Weight>, a: ClipArchitecture): void {
  const blocks = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => BLOCK_PARTS.map((p) => `${prefix}${i}.${p}`)).flat();
  const text = [...TEXT_TOP_LEVEL, ...blocks('transformer.resblocks.', a.textLayers)];
  const vision = a.visionResNetLayers
    ? [...resNetConvBnPairs(a.visionResNetLayers).flatMap(([conv]) => [`${conv}.weight`, `${conv}.bias`]), ...ATTNPOOL_TENSORS]
    : [...VIT_TOP_LEVEL, ...blocks('visual.transformer.resblocks.', a.visionLayers)];
  const needed = [...text, ...vision];
  const missing = needed.filter((n) => !weights.has(n));
  if (missing.length) throw new CheckpointError(`CLIP state dict lacks ${missing.length} tensors: ${missing.slice(0, 5).join(', ')}`);
  for (const [name, w] of weights) {
    if (numel(w.shape) !== w.data.length) throw new CheckpointError(`CLIP tensor '${name}': ${w.data.length} values for shape [${w.shape.join(', ')}]`);
  }
}

/**
 * Reads a CLIP checkpoint into float32 OpenAI-named weights and infers its architecture: the
 * TorchScript archives OpenAI released (fp16), plain `state_dict()` files, and HF `CLIPModel`
 * safetensors (with their config.json, when there is one). A ResNet's BatchNorms come folded into
 * their convolutions (resnet-weights.ts).
 */
export async function loadClip(ck: Checkpoint, hfConfig?: HfClipConfig): Promise<LoadedClip> {
  const isHf = ck.format === 'safetensors' && [...ck.tensors.keys()].some((k) => k.startsWith('text_model.'));
  const read = isHf ? await readHf(ck) : await readOpenAi(ck);
  const architecture = applyHfConfig(inferClipArchitecture(new Map([...read].map(([k, w]) => [k, w.shape]))), isHf ? hfConfig : undefined);
  const weights = architecture.visionResNetLayers ? foldBatchNorms(read, architecture.visionResNetLayers) : read;
  checkComplete(weights, architecture);
  return { architecture, weights };
}
