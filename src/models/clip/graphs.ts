import { Graph } from '../../graph';
import type { ClipArchitecture } from './architecture';
import { encodeImage, encodeText } from './encoders';
import { clipParams } from './params';
import type { ClipStateDict } from './state-dict';

export interface EncoderGraphOptions {
  readonly batch?: number;
  /** Also output the intermediates the fixtures record (ln_final; ImageEncoding.intermediates). */
  readonly intermediates?: boolean;
}

/** Graph 'clip_text': inputs tokens [N, T] int64 and eot_onehot [N, T] float32, output embedding [N, D] (not normalised). */
export function buildTextEncoderGraph(weights: ClipStateDict, a: ClipArchitecture, options: EncoderGraphOptions = {}): Graph {
  const { batch = 1, intermediates = false } = options;
  const g = new Graph('clip_text');
  const tokens = g.input('tokens', 'int64', [batch, a.contextLength]);
  const eot = g.input('eot_onehot', 'float32', [batch, a.contextLength]);
  const enc = encodeText(tokens, eot, clipParams(g, weights), a);
  g.output(enc.out, 'embedding');
  if (intermediates) g.output(enc.lnFinal, 'ln_final');
  return g;
}

/** Graph 'clip_image': input image [N, 3, R, R] already normalised with CLIP's mean/std, output embedding [N, D]. */
export function buildImageEncoderGraph(weights: ClipStateDict, a: ClipArchitecture, options: EncoderGraphOptions = {}): Graph {
  const { batch = 1, intermediates = false } = options;
  const g = new Graph('clip_image');
  const image = g.input('image', 'float32', [batch, 3, a.imageResolution, a.imageResolution]);
  const enc = encodeImage(image, clipParams(g, weights), a);
  g.output(enc.out, 'embedding');
  if (intermediates) for (const [name, t] of Object.entries(enc.intermediates)) g.output(t, name);
  return g;
}
