import { argmaxIndex, buildImageEncoderGraph, buildTextEncoderGraph, createClipTokenizer, loadClip, textEncoderFeeds, type HfClipConfig } from '../../models/clip/index';
import { hostTensor } from '../../runtime';
import { isCheckpointFile } from './checkpoint-files';
import { CLIP_VOCABULARY } from './fixture-models';
import { ref, relCheck, runOnce, withCheckpoint, withRefs, type Refs } from './model-checks';
import { exact, guard, guardMany } from './results';
import type { CheckResult, GroupContext } from './types';

/** The tolerance for both encoders: max |error| ≤ 1e-4 · max |reference|. */
const REL = 1e-4;

/** Every prompt of settings.prompts through our tokenizer against `tokens`, exactly. */
async function tokenizerCheck(ctx: GroupContext, refs: Refs): Promise<CheckResult> {
  const prompts = ctx.manifest.settings.prompts as string[];
  // Not listed among the manifest's files (it is upstream's, not the generator's): beside them in the folder.
  const vocab = await ctx.dir.withSource(ctx.path(CLIP_VOCABULARY), (s) => s.read(0, s.size));
  const tokenizer = createClipTokenizer(vocab);
  const expected = ref(refs, 'tokens');
  const context = refs.get('tokens')!.shape[1]!;
  const wrong = prompts.filter((p, i) => tokenizer.tokenize(p, context).ids.some((id, j) => id !== expected[i * context + j]));
  return exact(ctx.manifest.group, `tokenizer: ${prompts.length} prompts = clip.tokenize`, wrong.length, wrong.length ? `differ: ${wrong.slice(0, 3).map((p) => JSON.stringify(p)).join(', ')}` : undefined);
}

async function encoderChecks(ctx: GroupContext, refs: Refs, file: string): Promise<CheckResult[]> {
  const group = ctx.manifest.group;
  const configFile = file.endsWith('.safetensors') ? Object.keys(ctx.manifest.files).find((f) => f.endsWith('config.json')) : undefined;
  const hfConfig = configFile ? (JSON.parse(await ctx.dir.readText(ctx.path(configFile))) as HfClipConfig) : undefined;
  const { architecture: a, weights } = await withCheckpoint(ctx, ctx.path(file), (ck) => loadClip(ck, hfConfig));
  const rows = ref(refs, 'encode_text.tokens');
  const n = rows.length / a.contextLength;
  const batch = Array.from({ length: n }, (_, i) => {
    const ids = Int32Array.from(rows.subarray(i * a.contextLength, (i + 1) * a.contextLength));
    return { ids, eotIndex: argmaxIndex(ids), truncated: false, length: 0 };
  });
  const text = await runOnce(ctx.runtime, buildTextEncoderGraph(weights, a, { batch: n, intermediates: true }), textEncoderFeeds(batch));
  const input = refs.get('encode_image.input')!;
  const image = await runOnce(ctx.runtime, buildImageEncoderGraph(weights, a, { batch: input.shape[0]!, intermediates: true }), { image: hostTensor('float32', input.shape, input.data) });
  const check = (name: string, actual: unknown, refName: string) => relCheck(group, `${file}: ${name}`, actual as Float32Array, ref(refs, refName), REL);
  return [
    exact(group, `${file}: eot index = argmax`, batch.filter((b, i) => b.eotIndex !== ref(refs, 'encode_text.eot_index')[i]).length),
    check('encode_text ln_final', text.ln_final?.data, 'encode_text.ln_final'),
    check('encode_text', text.embedding?.data, 'encode_text.out'),
    check('encode_image ln_pre', image.ln_pre?.data, 'encode_image.ln_pre'),
    check('encode_image ln_post', image.ln_post?.data, 'encode_image.ln_post'),
    check('encode_image', image.embedding?.data, 'encode_image.out'),
  ];
}

/** Tokenizer ids exactly; text and image encoders from every checkpoint file within 1e-4 relative. */
export const clipModel = (ctx: GroupContext): AsyncIterable<CheckResult> => withRefs(ctx, async function* (refs) {
  yield await guard(ctx.manifest.group, 'tokenizer', () => tokenizerCheck(ctx, refs));
  for (const file of Object.keys(ctx.manifest.files).filter(isCheckpointFile)) {
    yield* await guardMany(ctx.manifest.group, `${file}: encoders`, () => encoderChecks(ctx, refs, file));
  }
});
