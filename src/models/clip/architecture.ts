import { CheckpointError, UnsupportedOpError } from '../../errors';

/** What CLIP's build_model() infers from the state dict, plus the HF options that change the graph. */
export interface ClipArchitecture {
  readonly embedDim: number;
  readonly imageResolution: number;
  readonly visionLayers: number;
  readonly visionWidth: number;
  readonly visionPatchSize: number;
  readonly visionHeads: number;
  readonly contextLength: number;
  readonly vocabSize: number;
  readonly textWidth: number;
  readonly textHeads: number;
  readonly textLayers: number;
  /** OpenAI CLIP uses QuickGELU; HF configs may say 'gelu' (exact erf form). */
  readonly activation: 'quick_gelu' | 'gelu';
  readonly layerNormEps: number;
}

export type Shapes = ReadonlyMap<string, readonly number[]>;

function dim(shapes: Shapes, name: string, axis: number): number {
  const shape = shapes.get(name);
  const d = shape?.[axis < 0 ? shape.length + axis : axis];
  if (d === undefined) throw new CheckpointError(`CLIP state dict: tensor '${name}' is missing or has no axis ${axis} (shape ${shape ? `[${shape.join(', ')}]` : 'absent'})`);
  return d;
}

/** Distinct block indices under a prefix, e.g. 'transformer.resblocks.' → 12. */
function countBlocks(shapes: Shapes, prefix: string, suffix: string): number {
  return new Set([...shapes.keys()].filter((k) => k.startsWith(prefix) && k.endsWith(suffix)).map((k) => k.slice(prefix.length).split('.')[0])).size;
}

/**
 * build_model(): a ViT when `visual.proj` exists; ResNet CLIP models (RN50, RN101, RN50x4/16/64:
 * `visual.layer1…`, `visual.attnpool`) are recognised and refused. Heads are width // 64 for both
 * towers, as build_model has it (a checkpoint cannot say otherwise).
 */
export function inferClipArchitecture(shapes: Shapes): ClipArchitecture {
  if (!shapes.has('visual.proj')) {
    if ([...shapes.keys()].some((k) => k.startsWith('visual.layer1.') || k.startsWith('visual.attnpool.'))) {
      throw new UnsupportedOpError('CLIP ResNet image encoders (RN50, RN101, RN50x4, RN50x16, RN50x64) are not yet supported; use a ViT model (ViT-B/32, ViT-B/16, ViT-L/14)');
    }
    throw new CheckpointError("not a CLIP checkpoint: no 'visual.proj' (ViT) and no 'visual.layer1' (ResNet) tensors");
  }
  const visionWidth = dim(shapes, 'visual.conv1.weight', 0);
  const visionPatchSize = dim(shapes, 'visual.conv1.weight', -1);
  const grid = Math.round(Math.sqrt(dim(shapes, 'visual.positional_embedding', 0) - 1));
  const textWidth = dim(shapes, 'ln_final.weight', 0);
  return {
    embedDim: dim(shapes, 'text_projection', 1),
    imageResolution: visionPatchSize * grid,
    visionLayers: countBlocks(shapes, 'visual.transformer.resblocks.', '.attn.in_proj_weight'),
    visionWidth,
    visionPatchSize,
    visionHeads: Math.floor(visionWidth / 64),
    contextLength: dim(shapes, 'positional_embedding', 0),
    vocabSize: dim(shapes, 'token_embedding.weight', 0),
    textWidth,
    textHeads: Math.floor(textWidth / 64),
    textLayers: countBlocks(shapes, 'transformer.resblocks.', '.attn.in_proj_weight'),
    activation: 'quick_gelu',
    layerNormEps: 1e-5,
  };
}

/** OpenAI's name for a ViT architecture (ViT-B/16, ViT-L/14@336px), or a description of an unnamed one. */
export function clipModelName(a: ClipArchitecture): string {
  const size = a.visionWidth === 768 && a.visionLayers === 12 ? 'B' : a.visionWidth === 1024 && a.visionLayers === 24 ? 'L' : undefined;
  if (!size) return `ViT (width ${a.visionWidth}, ${a.visionLayers} layers, patch ${a.visionPatchSize}, ${a.imageResolution}px)`;
  return `ViT-${size}/${a.visionPatchSize}${a.imageResolution === 224 ? '' : `@${a.imageResolution}px`}`;
}
