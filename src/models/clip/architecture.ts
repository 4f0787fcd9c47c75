import { CheckpointError } from '../../errors';

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
  /**
   * A ModifiedResNet image tower (RN50 …): Bottleneck blocks per stage. Then visionWidth is the
   * stem's width, visionHeads the attention pool's (width·32/64), visionPatchSize 32 (the tower's
   * stride, so that imageResolution = grid · 32 as for a ViT) and visionLayers the blocks in all.
   */
  readonly visionResNetLayers?: readonly number[];
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

type VisionTower = Pick<ClipArchitecture, 'imageResolution' | 'visionLayers' | 'visionWidth' | 'visionPatchSize' | 'visionHeads' | 'visionResNetLayers'>;

/** build_model's ViT: width and patch from conv1, the grid from the positional embedding, heads width // 64. */
function vitTower(shapes: Shapes): VisionTower {
  const visionWidth = dim(shapes, 'visual.conv1.weight', 0);
  const visionPatchSize = dim(shapes, 'visual.conv1.weight', -1);
  const grid = Math.round(Math.sqrt(dim(shapes, 'visual.positional_embedding', 0) - 1));
  return {
    imageResolution: visionPatchSize * grid, visionLayers: countBlocks(shapes, 'visual.transformer.resblocks.', '.attn.in_proj_weight'),
    visionWidth, visionPatchSize, visionHeads: Math.floor(visionWidth / 64),
  };
}

/** build_model's ModifiedResNet: blocks per stage, width from layer1's first conv, the grid from the attention pool's positional embedding, heads width·32 // 64. */
function resNetTower(shapes: Shapes): VisionTower {
  const stages = [1, 2, 3, 4].map((s) => countBlocks(shapes, `visual.layer${s}.`, '.conv1.weight'));
  if (stages.some((n) => n === 0)) throw new CheckpointError(`CLIP ResNet state dict: blocks per stage ${stages.join(', ')}: a stage has none`);
  const visionWidth = dim(shapes, 'visual.layer1.0.conv1.weight', 0);
  const grid = Math.round(Math.sqrt(dim(shapes, 'visual.attnpool.positional_embedding', 0) - 1));
  return {
    imageResolution: grid * 32, visionLayers: stages.reduce((a, b) => a + b, 0), visionWidth, visionPatchSize: 32,
    visionHeads: Math.floor((visionWidth * 32) / 64), visionResNetLayers: stages,
  };
}

/**
 * build_model(): a ViT when `visual.proj` exists, a ModifiedResNet (RN50, RN101, RN50x4/16/64) when
 * `visual.layer1` does. Text heads are width // 64, as build_model has it (a checkpoint cannot say
 * otherwise).
 */
export function inferClipArchitecture(shapes: Shapes): ClipArchitecture {
  const vision = shapes.has('visual.proj') ? vitTower(shapes) : shapes.has('visual.layer1.0.conv1.weight') ? resNetTower(shapes) : undefined;
  if (!vision) throw new CheckpointError("not a CLIP checkpoint: no 'visual.proj' (ViT) and no 'visual.layer1' (ResNet) tensors");
  const textWidth = dim(shapes, 'ln_final.weight', 0);
  return {
    embedDim: dim(shapes, 'text_projection', 1),
    ...vision,
    contextLength: dim(shapes, 'positional_embedding', 0),
    vocabSize: dim(shapes, 'token_embedding.weight', 0),
    textWidth,
    textHeads: Math.floor(textWidth / 64),
    textLayers: countBlocks(shapes, 'transformer.resblocks.', '.attn.in_proj_weight'),
    activation: 'quick_gelu',
    layerNormEps: 1e-5,
  };
}

/** OpenAI's ResNets by (blocks per stage, width), as clip.model.build_model infers them from the released files. */
const RESNETS: readonly [string, string][] = [['RN50', '3,4,6,3/64'], ['RN101', '3,4,23,3/64'], ['RN50x4', '4,6,10,6/80'], ['RN50x16', '6,8,18,8/96'], ['RN50x64', '3,15,36,10/128']];

/** OpenAI's name for an architecture (ViT-B/16, ViT-L/14@336px, RN50x4), or a description of an unnamed one. */
export function clipModelName(a: ClipArchitecture): string {
  if (a.visionResNetLayers) {
    const key = `${a.visionResNetLayers.join(',')}/${a.visionWidth}`;
    return RESNETS.find(([, k]) => k === key)?.[0] ?? `ResNet (blocks ${a.visionResNetLayers.join('-')}, width ${a.visionWidth}, ${a.imageResolution}px)`;
  }
  const size = a.visionWidth === 768 && a.visionLayers === 12 ? 'B' : a.visionWidth === 1024 && a.visionLayers === 24 ? 'L' : undefined;
  if (!size) return `ViT (width ${a.visionWidth}, ${a.visionLayers} layers, patch ${a.visionPatchSize}, ${a.imageResolution}px)`;
  return `ViT-${size}/${a.visionPatchSize}${a.imageResolution === 224 ? '' : `@${a.imageResolution}px`}`;
}
