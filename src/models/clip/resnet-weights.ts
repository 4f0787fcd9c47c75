import { CheckpointError } from '../../errors';
import type { Weight } from './state-dict';

/** nn.BatchNorm2d's default, which ModifiedResNet keeps. */
const BN_EPS = 1e-5;

/**
 * A ModifiedResNet's convolutions, each with the BatchNorm after it: the stem's three, and each
 * Bottleneck's three plus, in every stage's first block (which strides or widens), the downsample's.
 */
export function resNetConvBnPairs(stages: readonly number[]): [conv: string, bn: string][] {
  const pairs: [string, string][] = [1, 2, 3].map((i) => [`visual.conv${i}`, `visual.bn${i}`]);
  stages.forEach((blocks, s) => {
    for (let b = 0; b < blocks; b++) {
      const prefix = `visual.layer${s + 1}.${b}.`;
      for (const i of [1, 2, 3]) pairs.push([`${prefix}conv${i}`, `${prefix}bn${i}`]);
      if (b === 0) pairs.push([`${prefix}downsample.0`, `${prefix}downsample.1`]);
    }
  });
  return pairs;
}

export const ATTNPOOL_TENSORS = ['positional_embedding', ...['q_proj', 'k_proj', 'v_proj', 'c_proj'].flatMap((l) => [`${l}.weight`, `${l}.bias`])].map((n) => `visual.attnpool.${n}`);

/**
 * BatchNorm in its eval form folded into the convolution before it (no bias there): weight·s and
 * bias β − mean·s per output channel, s = γ/√(var + eps), in float64 and rounded once to float32,
 * so the folded conv differs from torch's conv-then-BN by float32 rounding only. The BN tensors
 * go; each conv gains `<conv>.bias`.
 */
export function foldBatchNorms(weights: ReadonlyMap<string, Weight>, stages: readonly number[]): Map<string, Weight> {
  const out = new Map(weights);
  const need = (name: string): Weight => {
    const w = weights.get(name);
    if (!w) throw new CheckpointError(`CLIP ResNet state dict lacks '${name}'`);
    return w;
  };
  for (const [conv, bn] of resNetConvBnPairs(stages)) {
    const weight = need(`${conv}.weight`);
    const [gamma, beta, mean, variance] = ['weight', 'bias', 'running_mean', 'running_var'].map((k) => need(`${bn}.${k}`).data);
    const channels = weight.shape[0]!;
    const per = weight.data.length / channels;
    if ([gamma, beta, mean, variance].some((v) => v!.length !== channels)) throw new CheckpointError(`CLIP ResNet state dict: ${bn} does not have ${channels} channels, as ${conv} has`);
    const folded = new Float32Array(weight.data.length);
    const bias = new Float32Array(channels);
    for (let o = 0; o < channels; o++) {
      const scale = gamma![o]! / Math.sqrt(variance![o]! + BN_EPS);
      for (let i = 0; i < per; i++) folded[o * per + i] = weight.data[o * per + i]! * scale;
      bias[o] = beta![o]! - mean![o]! * scale;
    }
    out.set(`${conv}.weight`, { shape: weight.shape, data: folded });
    out.set(`${conv}.bias`, { shape: [channels], data: bias });
    for (const k of ['weight', 'bias', 'running_mean', 'running_var']) out.delete(`${bn}.${k}`);
  }
  return out;
}
