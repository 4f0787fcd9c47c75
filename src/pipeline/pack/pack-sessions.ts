import { SettingsError } from '../../errors';
import { hostTensor, type HostTensor } from '../../runtime';
import type { RunSession } from '../models';

/**
 * A guidance graph converted for T targets, run with P ≤ T: target_embeds gets T − P zero rows
 * and target_weights T − P zeros. The CLIP term is Σ_p w_p · mean_c d(E_c, T_p) (losses.ts
 * weightedMean, spec §7 step 5) with w already divided by |Σw| over the real prompts (spec §4.4),
 * so a zero weight adds an exact 0 to the loss and to its gradient; a zero row is a finite distance
 * (l2Normalize guards the norm with 1e-12).
 */
export function paddedTargets(session: RunSession, targets: number): RunSession {
  return {
    run(feeds) {
      const embeds = feeds.target_embeds!;
      const [rows, dim] = embeds.shape as [number, number];
      if (rows === targets) return session.run(feeds);
      const e = new Float32Array(targets * dim);
      e.set(embeds.data as Float32Array);
      const w = new Float32Array(targets);
      w.set(feeds.target_weights!.data as Float32Array);
      return session.run({ ...feeds, target_embeds: hostTensor('float32', [targets, dim], e), target_weights: hostTensor('float32', [targets], w) });
    },
  };
}

/** F.normalize(x, dim=-1) row by row, as losses.ts l2Normalize: x / max(‖x‖, 1e-12), in float32. */
function l2NormalizeRows(x: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length; r += dim) {
    let sum = 0;
    for (let i = r; i < r + dim; i++) sum = Math.fround(sum + Math.fround(x[i]! * x[i]!));
    const norm = Math.max(Math.fround(Math.sqrt(sum)), 1e-12);
    for (let i = r; i < r + dim; i++) out[i] = x[i]! / norm;
  }
  return out;
}

/** Runs the encoder on `cuts` [cutn, 3, R, R] in batches of its fixed batch size; embeddings [cutn, D]. */
async function encodeBatches(encoder: RunSession, cuts: HostTensor, batch: number): Promise<{ data: Float32Array; dim: number }> {
  const [cutn, ...chw] = cuts.shape as [number, number, number, number];
  const per = chw.reduce((a, b) => a * b, 1);
  const parts: Float32Array[] = [];
  for (let start = 0; start < cutn; start += batch) {
    const slice = (cuts.data as Float32Array).subarray(start * per, (start + batch) * per);
    parts.push((await encoder.run({ image: hostTensor('float32', [batch, ...chw], slice) })).embedding!.data as Float32Array);
  }
  const dim = parts[0]!.length / batch;
  const data = new Float32Array(cutn * dim);
  parts.forEach((p, i) => data.set(p, i * batch * dim));
  return { data, dim };
}

/**
 * An image prompt through a pack (spec §4.3): our weight-free cutout graph (buildPromptCutoutGraph:
 * MakeCutouts and CLIP's normalisation) and the pack's clip_image.onnx, then L2-normalised on the
 * host: the same steps buildImagePromptGraph runs in one graph. Output `embeds` [cutn, D].
 */
export function imagePromptSession(cutouts: RunSession, encoder: RunSession, encoderBatch: number): RunSession {
  return {
    async run(feeds) {
      const cuts = (await cutouts.run(feeds)).cuts!;
      const cutn = cuts.shape[0]!;
      if (cutn % encoderBatch !== 0) throw new SettingsError(`the pack's clip_image.onnx encodes batches of ${encoderBatch} cutouts; cutn ${cutn} is not a multiple of ${encoderBatch}`);
      const { data, dim } = await encodeBatches(encoder, cuts, encoderBatch);
      return { embeds: hostTensor('float32', [cutn, dim], l2NormalizeRows(data, dim)) };
    },
  };
}
