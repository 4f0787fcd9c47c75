import { CheckpointError } from '../errors';
import { makeTensor, numel, readTensorFloat32, type Tensor } from './tensor';

/**
 * How HF-transformers `CLIPModel` safetensors name OpenAI CLIP's parameters
 * (convert_clip_original_pytorch_to_hf.py): renamed, transposed projections, and
 * `attn.in_proj_*` split into q/k/v. `position_ids` buffers have no OpenAI counterpart.
 */
type HfSource = { readonly op: 'same' | 'transpose' | 'scalar'; readonly name: string } | { readonly op: 'concat'; readonly names: readonly string[] };

const BLOCK_PARTS: readonly [RegExp, string][] = [
  [/^attn\.out_proj\.(weight|bias)$/, 'self_attn.out_proj.$1'],
  [/^ln_1\.(weight|bias)$/, 'layer_norm1.$1'],
  [/^ln_2\.(weight|bias)$/, 'layer_norm2.$1'],
  [/^mlp\.c_fc\.(weight|bias)$/, 'mlp.fc1.$1'],
  [/^mlp\.c_proj\.(weight|bias)$/, 'mlp.fc2.$1'],
];

const SAME: Readonly<Record<string, string>> = {
  'token_embedding.weight': 'text_model.embeddings.token_embedding.weight',
  positional_embedding: 'text_model.embeddings.position_embedding.weight',
  'ln_final.weight': 'text_model.final_layer_norm.weight',
  'ln_final.bias': 'text_model.final_layer_norm.bias',
  'visual.class_embedding': 'vision_model.embeddings.class_embedding',
  'visual.conv1.weight': 'vision_model.embeddings.patch_embedding.weight',
  'visual.positional_embedding': 'vision_model.embeddings.position_embedding.weight',
  'visual.ln_pre.weight': 'vision_model.pre_layrnorm.weight',
  'visual.ln_pre.bias': 'vision_model.pre_layrnorm.bias',
  'visual.ln_post.weight': 'vision_model.post_layernorm.weight',
  'visual.ln_post.bias': 'vision_model.post_layernorm.bias',
};

const TRANSPOSED: Readonly<Record<string, string>> = { text_projection: 'text_projection.weight', 'visual.proj': 'visual_projection.weight' };

function blockSource(name: string): HfSource | undefined {
  const match = /^(visual\.)?transformer\.resblocks\.(\d+)\.(.+)$/.exec(name);
  if (!match) return undefined;
  const layer = `${match[1] ? 'vision_model' : 'text_model'}.encoder.layers.${match[2]!}.`;
  const part = match[3]!;
  const inProj = /^attn\.in_proj_(weight|bias)$/.exec(part);
  if (inProj) return { op: 'concat', names: ['q', 'k', 'v'].map((p) => `${layer}self_attn.${p}_proj.${inProj[1]!}`) };
  const rule = BLOCK_PARTS.find(([re]) => re.test(part));
  return rule ? { op: 'same', name: layer + part.replace(rule[0], rule[1]) } : undefined;
}

/** Where an OpenAI CLIP state-dict tensor lives in an HF CLIPModel file; undefined if nowhere. */
export function hfClipSource(openaiName: string): HfSource | undefined {
  // 0-d in OpenAI's files; HF files hold it as [] or [1].
  if (openaiName === 'logit_scale') return { op: 'scalar', name: 'logit_scale' };
  if (Object.hasOwn(SAME, openaiName)) return { op: 'same', name: SAME[openaiName]! };
  if (Object.hasOwn(TRANSPOSED, openaiName)) return { op: 'transpose', name: TRANSPOSED[openaiName]! };
  return blockSource(openaiName);
}

function hfTensor(hf: ReadonlyMap<string, Tensor>, name: string): Tensor {
  const t = hf.get(name);
  if (!t) throw new CheckpointError(`HF CLIP file has no tensor '${name}'`);
  return t;
}

/** An OpenAI-named CLIP parameter assembled from an HF file, as float32 with its OpenAI shape. */
export async function readHfClipAsOpenAI(hf: ReadonlyMap<string, Tensor>, openaiName: string): Promise<{ shape: number[]; data: Float32Array }> {
  const source = hfClipSource(openaiName);
  if (!source) throw new CheckpointError(`no HF CLIPModel counterpart for '${openaiName}'`);
  if (source.op === 'concat') {
    const parts = source.names.map((n) => hfTensor(hf, n));
    const data = new Float32Array(parts.reduce((n, t) => n + numel(t.shape), 0));
    let at = 0;
    for (const t of parts) {
      data.set(await readTensorFloat32(t), at);
      at += numel(t.shape);
    }
    return { shape: [parts.reduce((n, t) => n + (t.shape[0] ?? 1), 0), ...parts[0]!.shape.slice(1)], data };
  }
  const t = hfTensor(hf, source.name);
  if (source.op === 'same') return { shape: [...t.shape], data: await readTensorFloat32(t) };
  if (source.op === 'scalar') {
    if (numel(t.shape) !== 1) throw new CheckpointError(`HF tensor '${source.name}' should hold one value, has shape [${t.shape.join(', ')}]`);
    return { shape: [], data: await readTensorFloat32(t) };
  }
  if (t.shape.length !== 2) throw new CheckpointError(`HF tensor '${source.name}' should be 2-D to transpose, has shape [${t.shape.join(', ')}]`);
  const shape = [t.shape[1]!, t.shape[0]!];
  return { shape, data: await readTensorFloat32(makeTensor(t.dtype, shape, [t.strides[1]!, t.strides[0]!], t.offset, t.storage)) };
}
