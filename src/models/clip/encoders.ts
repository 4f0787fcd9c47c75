import { add, causalMask, concat, conv2d, expand, gather, matmul, reshape, transpose, type Tensor } from '../../graph';
import type { ClipArchitecture } from './architecture';
import type { Param } from './params';
import { encodeResNetImage } from './resnet';
import { clipLayerNorm, transformerTower } from './transformer';

export interface TextEncoding {
  readonly lnFinal: Tensor;
  readonly out: Tensor;
}

/**
 * encode_text for tokens [N, T] (int64) and eotOneHot [N, T] (float32, 1 at the pooled position:
 * text.argmax(-1), the first end token). Pooling is a one-hot product rather than ArgMax on int64,
 * which the WebGPU EP lacks.
 */
export function encodeText(tokens: Tensor, eotOneHot: Tensor, p: Param, a: ClipArchitecture): TextEncoding {
  const [n, t] = tokens.shape as [number, number];
  const w = a.textWidth;
  const embedded = add(gather(p('token_embedding.weight', [a.vocabSize, w]), tokens, 0), p('positional_embedding', [a.contextLength, w]));
  const options = { width: w, heads: a.textHeads, layers: a.textLayers, mask: causalMask(embedded, t) };
  const lnFinal = clipLayerNorm(transformerTower(embedded, p, 'transformer.', options, a), p, 'ln_final', w, a);
  const pooled = reshape(matmul(reshape(eotOneHot, [n, 1, t]), lnFinal), [n, w]);
  return { lnFinal, out: matmul(pooled, p('text_projection', [w, a.embedDim])) };
}

export interface ImageEncoding {
  /** What the fixtures record along the way, by their names: ln_pre and ln_post for a ViT; the stem, stages and attention pool's tokens for a ResNet. */
  readonly intermediates: Readonly<Record<string, Tensor>>;
  readonly out: Tensor;
}

/** encode_image for normalised images [N, 3, R, R]: the ViT or the ModifiedResNet the architecture names. */
export function encodeImage(image: Tensor, p: Param, a: ClipArchitecture): ImageEncoding {
  if (!a.visionResNetLayers) return encodeVitImage(image, p, a);
  const r = encodeResNetImage(image, p, a, a.visionResNetLayers);
  const stages = Object.fromEntries(r.layers.map((t, i) => [`layer${i + 1}`, t]));
  return { intermediates: { 'stem.relu1': r.stemRelu1, stem: r.stem, ...stages, 'layer2.0.downsample': r.layer2Downsample, 'attnpool.tokens': r.attnTokens }, out: r.out };
}

/** VisionTransformer.forward: patches, class token, positions, ln_pre, blocks, ln_post of the class token, proj. */
function encodeVitImage(image: Tensor, p: Param, a: ClipArchitecture): ImageEncoding {
  const n = image.shape[0]!;
  const w = a.visionWidth;
  const ps = a.visionPatchSize;
  const grid = a.imageResolution / ps;
  const patches = conv2d(image, p('visual.conv1.weight', [w, 3, ps, ps]), undefined, { stride: ps });
  const sequence = transpose(reshape(patches, [n, w, grid * grid]), [0, 2, 1]);
  const cls = expand(reshape(p('visual.class_embedding', [w]), [1, 1, w]), [n, 1, w]);
  const tokens = add(concat([cls, sequence], 1), p('visual.positional_embedding', [grid * grid + 1, w]));
  const lnPre = clipLayerNorm(tokens, p, 'visual.ln_pre', w, a);
  const classToken = transformerTower(lnPre, p, 'visual.transformer.', { width: w, heads: a.visionHeads, layers: a.visionLayers, outputRows: 1 }, a);
  const lnPost = clipLayerNorm(reshape(classToken, [n, w]), p, 'visual.ln_post', w, a);
  return { intermediates: { ln_pre: lnPre, ln_post: lnPost }, out: matmul(lnPost, p('visual.proj', [w, a.embedDim])) };
}
