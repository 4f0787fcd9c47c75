import { hostTensor, type HostTensor } from '../../runtime';
import type { Tokens } from './tokenizer';

/** The text encoder's inputs for a batch of tokenised prompts: int64 ids and the one-hot pooling row. */
export function textEncoderFeeds(batch: readonly Tokens[]): { tokens: HostTensor<'int64'>; eot_onehot: HostTensor<'float32'> } {
  const t = batch[0]?.ids.length ?? 0;
  const ids = new BigInt64Array(batch.length * t);
  const onehot = new Float32Array(batch.length * t);
  batch.forEach((tok, i) => {
    tok.ids.forEach((id, j) => (ids[i * t + j] = BigInt(id)));
    onehot[i * t + tok.eotIndex] = 1;
  });
  return { tokens: hostTensor('int64', [batch.length, t], ids), eot_onehot: hostTensor('float32', [batch.length, t], onehot) };
}

/** text.argmax(-1) of clip.tokenize output: the first position holding the largest id. */
export function argmaxIndex(ids: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < ids.length; i++) if (ids[i]! > ids[best]!) best = i;
  return best;
}
