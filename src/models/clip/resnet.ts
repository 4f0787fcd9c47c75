import { add, attention, avgPool2d, concat, conv2d, linear, mergeHeads, reduceMean, relu, reshape, slice, splitHeads, transpose, type Tensor } from '../../graph';
import type { ClipArchitecture } from './architecture';
import type { Param } from './params';

/**
 * CLIP's ModifiedResNet image tower (RN50 … RN50x64) for normalised images [N, 3, R, R]. Every
 * BatchNorm is folded into the convolution before it when the checkpoint is read (state-dict.ts),
 * so each conv here has the folded bias `<conv>.bias`.
 */
export interface ResNetEncoding {
  /** relu1(bn1(conv1(x))): the stem's first conv. */
  readonly stemRelu1: Tensor;
  /** The stem after its AvgPool2d(2). */
  readonly stem: Tensor;
  /** layer1 … layer4 outputs. */
  readonly layers: readonly Tensor[];
  /** The identity branch of layer2's first block (AvgPool2d(2), 1×1 conv, BN). */
  readonly layer2Downsample: Tensor;
  /** AttentionPool2d's key/value tokens [N, HW + 1, C]: the spatial mean, then the positions, plus the positional embedding. */
  readonly attnTokens: Tensor;
  readonly out: Tensor;
}

const EXPANSION = 4;

/** A convolution with its folded BatchNorm. */
function convBn(x: Tensor, p: Param, name: string, cout: number, kernel: number, options: { stride?: number; padding?: number } = {}): Tensor {
  const cin = x.shape[1]!;
  return conv2d(x, p(`${name}.weight`, [cout, cin, kernel, kernel]), p(`${name}.bias`, [cout]), options);
}

/** Bottleneck: 1×1, 3×3, AvgPool2d(stride) when striding, 1×1 to planes·4; the identity branch pools, then a 1×1 conv, when the shape changes. */
function bottleneck(x: Tensor, p: Param, prefix: string, planes: number, stride: number): { out: Tensor; downsample?: Tensor } {
  let h = relu(convBn(x, p, `${prefix}conv1`, planes, 1));
  h = relu(convBn(h, p, `${prefix}conv2`, planes, 3, { padding: 1 }));
  if (stride > 1) h = avgPool2d(h, stride);
  h = convBn(h, p, `${prefix}conv3`, planes * EXPANSION, 1);
  const reshapes = stride > 1 || x.shape[1] !== planes * EXPANSION;
  const downsample = reshapes ? convBn(stride > 1 ? avgPool2d(x, stride) : x, p, `${prefix}downsample.0`, planes * EXPANSION, 1) : undefined;
  return { out: relu(add(h, downsample ?? x)), ...(downsample ? { downsample } : {}) };
}

/** AttentionPool2d: multi-head attention of the spatial mean token over [mean, positions] + positional embedding, then c_proj. */
function attentionPool(x: Tensor, p: Param, a: ClipArchitecture): { tokens: Tensor; out: Tensor } {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const prefix = 'visual.attnpool.';
  const positions = transpose(reshape(x, [n, c, h * w]), [0, 2, 1]);
  const tokens = add(concat([reduceMean(positions, [1], true), positions], 1), p(`${prefix}positional_embedding`, [h * w + 1, c]));
  const proj = (t: Tensor, name: string) => splitHeads(linear(t, p(`${prefix}${name}.weight`, [c, c]), p(`${prefix}${name}.bias`, [c])), a.visionHeads);
  const mixed = mergeHeads(attention(proj(slice(tokens, [1], [0], [1]), 'q_proj'), proj(tokens, 'k_proj'), proj(tokens, 'v_proj')));
  const out = linear(mixed, p(`${prefix}c_proj.weight`, [a.embedDim, c]), p(`${prefix}c_proj.bias`, [a.embedDim]));
  return { tokens, out: reshape(out, [n, a.embedDim]) };
}

export function encodeResNetImage(image: Tensor, p: Param, a: ClipArchitecture, stages: readonly number[]): ResNetEncoding {
  const width = a.visionWidth;
  const stemRelu1 = relu(convBn(image, p, 'visual.conv1', width / 2, 3, { stride: 2, padding: 1 }));
  let h = relu(convBn(stemRelu1, p, 'visual.conv2', width / 2, 3, { padding: 1 }));
  h = relu(convBn(h, p, 'visual.conv3', width, 3, { padding: 1 }));
  const stem = avgPool2d(h, 2);
  h = stem;
  const layers: Tensor[] = [];
  let layer2Downsample: Tensor | undefined;
  stages.forEach((blocks, s) => {
    for (let b = 0; b < blocks; b++) {
      const block = bottleneck(h, p, `visual.layer${s + 1}.${b}.`, width * 2 ** s, b === 0 && s > 0 ? 2 : 1);
      if (s === 1 && b === 0) layer2Downsample = block.downsample;
      h = block.out;
    }
    layers.push(h);
  });
  const pooled = attentionPool(h, p, a);
  return { stemRelu1, stem, layers, layer2Downsample: layer2Downsample!, attnTokens: pooled.tokens, out: pooled.out };
}
