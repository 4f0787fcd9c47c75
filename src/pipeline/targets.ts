import { SettingsError } from '../errors';
import { coverResizeCrop, resizeShorterSide } from '../image/cover-crop';
import { rgbaToUnitChw } from '../image/unit-chw';
import { textEncoderFeeds } from '../models/clip/index';
import { cutoutFeeds, drawCutouts, perspectiveCoefficients } from '../models/guidance/index';
import { hostTensor, type HostTensor } from '../runtime';
import { imagePromptWeights, normalizeWeights, parsePrompt, type Rng } from '../sampling/index';
import type { GraphSpec, LoadedModels } from './models';
import type { GenerationSettings, ImagePrompt, RgbaImage } from './settings';

export interface Targets {
  /** target_embeds [P, D] (text embeddings unnormalised, image-prompt cutouts L2-normalised). */
  readonly embeds: HostTensor;
  /** weights / |Σw| [P]. */
  readonly weights: HostTensor;
  readonly count: number;
}

/** encode_text(tokenize(text)) per prompt (spec §4.2); a prompt longer than the context is refused, as clip.tokenize does. */
async function textEmbeddings(models: LoadedModels, guide: number, texts: readonly string[]): Promise<Float32Array[]> {
  const session = await models.session({ kind: 'clip_text', guide });
  const out: Float32Array[] = [];
  for (const text of texts) {
    const tokens = models.tokenizer.tokenize(text);
    if (tokens.truncated) throw new SettingsError(`the prompt "${text}" has ${tokens.length} tokens; CLIP's context holds ${tokens.ids.length}`);
    out.push((await session.run(textEncoderFeeds([tokens]))).embedding!.data as Float32Array);
  }
  return out;
}

/** One image prompt (spec §4.3): shorter side down to the sample size if larger, to_tensor, cutouts → encode → L2-normalise, [cutn, D]. */
async function imagePromptEmbeddings(models: LoadedModels, guide: number, prompt: ImagePrompt, s: GenerationSettings, rng: Rng): Promise<Float32Array> {
  const { image } = prompt;
  const resized = resizeShorterSide(image, Math.min(models.imageSize, image.width, image.height));
  const spec: GraphSpec = { kind: 'image_prompt', guide, height: resized.height, width: resized.width, cutn: s.cutn, augment: !s.skipAugs };
  const geometry = { height: resized.height, width: resized.width, cutSize: models.cutSizes[guide]!, cutn: s.cutn };
  const params = drawCutouts(rng, geometry, s.skipAugs, perspectiveCoefficients);
  const session = await models.session(spec);
  try {
    const feeds = { image: hostTensor('float32', [1, 3, resized.height, resized.width], rgbaToUnitChw(resized.data, resized.height, resized.width)), ...cutoutFeeds(params, geometry) };
    return (await session.run(feeds)).embeds!.data as Float32Array;
  } finally {
    await models.release(spec);
  }
}

/**
 * One guide's target_embeds and weights (spec §4.2–4.4), from its own encoders: text prompts in
 * order, then image prompts (cutn rows each, weight/cutn), weights divided by |Σw|. Image-prompt
 * cutouts draw from the guide's CPU stream at set-up, as upstream. The text encoder is released afterwards.
 */
export async function makeTargets(models: LoadedModels, guide: number, s: GenerationSettings, cpuRng: Rng): Promise<Targets> {
  const parsed = s.prompts.map(parsePrompt);
  const rows = await textEmbeddings(models, guide, parsed.map((p) => p.text));
  await models.release({ kind: 'clip_text', guide });
  const weights = parsed.map((p) => p.weight);
  for (const prompt of s.imagePrompts) {
    rows.push(await imagePromptEmbeddings(models, guide, prompt, s, cpuRng));
    weights.push(...imagePromptWeights(prompt.weight, s.cutn));
  }
  const embeds = new Float32Array(rows.reduce((n, r) => n + r.length, 0));
  const dim = embeds.length / weights.length;
  let offset = 0;
  for (const r of rows) {
    embeds.set(r, offset);
    offset += r.length;
  }
  return { embeds: hostTensor('float32', [weights.length, dim], embeds), weights: hostTensor('float32', [weights.length], normalizeWeights(weights)), count: weights.length };
}

/** The init image as the sampler starts from it (spec §7.6): cover-resize (Lanczos) and centre crop to size², to [−1, 1] planar. */
export function initImageTensor(image: RgbaImage, size: number): Float32Array {
  const cropped = coverResizeCrop(image, size, size);
  return rgbaToUnitChw(cropped.data, size, size).map((v) => Math.fround(Math.fround(v * 2) - 1));
}
