import { readFileSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import { opsOffWebGpu } from '../../../src/graph';
import { hostTensor } from '../../../src/runtime';
import { clipModelName, inferClipArchitecture } from '../../../src/models/clip/architecture';
import { argmaxIndex, textEncoderFeeds } from '../../../src/models/clip/feeds';
import { buildImageEncoderGraph, buildTextEncoderGraph } from '../../../src/models/clip/graphs';
import { loadClip, type HfClipConfig, type LoadedClip } from '../../../src/models/clip/state-dict';
import { EOT_TOKEN } from '../../../src/models/clip/tokenizer';
import { runGraph } from '../../helpers/ort';
import { describeWithFixtures, fixturePath } from '../../fixtures';
import { readReferences, relativeError, withFixture, type RefTensor } from './reference';

const FILES = ['clip/clip_state_dict.pt', 'clip/clip_jit.pt', 'clip/hf/model.safetensors'] as const;
const TOL = 1e-4;

const hfConfig = () => JSON.parse(readFileSync(fixturePath('clip', 'hf', 'config.json'), 'utf8')) as HfClipConfig;

describeWithFixtures('CLIP encoders from each checkpoint file', () => {
  let ref: Record<string, RefTensor>;
  beforeAll(async () => {
    ref = await readReferences('clip', ['encode_text.tokens', 'encode_text.eot_index', 'encode_text.ln_final', 'encode_text.out', 'encode_image.input', 'encode_image.ln_pre', 'encode_image.ln_post', 'encode_image.out']);
  });

  const load = (file: string): Promise<LoadedClip> => withFixture(file, (ck) => loadClip(ck, file.endsWith('.safetensors') ? hfConfig() : undefined));

  it.each(FILES)('%s: architecture inferred as build_model does', async (file) => {
    const { architecture: a } = await load(file);
    expect(a).toMatchObject({ embedDim: 32, imageResolution: 224, visionLayers: 2, visionWidth: 128, visionPatchSize: 16, visionHeads: 2, contextLength: 77, vocabSize: 49408, textWidth: 64, textHeads: 1, textLayers: 2, activation: 'quick_gelu' });
    expect(clipModelName(a)).toContain('patch 16');
  });

  it.each(FILES)('%s: encode_text and encode_image within 1e-4 relative', async (file) => {
    const { architecture: a, weights } = await load(file);
    const rows = ref['encode_text.tokens']!.data;
    const batch = Array.from({ length: 4 }, (_, i) => {
      const ids = Int32Array.from(rows.subarray(i * 77, (i + 1) * 77));
      return { ids, eotIndex: argmaxIndex(ids), truncated: false, length: 0 };
    });
    expect(batch.map((b) => b.eotIndex)).toEqual([...ref['encode_text.eot_index']!.data]);
    expect(batch.every((b) => b.ids[b.eotIndex] === EOT_TOKEN)).toBe(true);
    const textGraph = buildTextEncoderGraph(weights, a, { batch: 4, intermediates: true });
    const imageGraph = buildImageEncoderGraph(weights, a, { batch: 2, intermediates: true });
    expect([...opsOffWebGpu(textGraph), ...opsOffWebGpu(imageGraph)]).toEqual([]);
    const text = await runGraph(textGraph, textEncoderFeeds(batch));
    expect(relativeError(text.ln_final!.data as Float32Array, ref['encode_text.ln_final']!.data)).toBeLessThan(TOL);
    expect(relativeError(text.embedding!.data as Float32Array, ref['encode_text.out']!.data)).toBeLessThan(TOL);
    const input = ref['encode_image.input']!;
    const image = await runGraph(imageGraph, { image: hostTensor('float32', input.shape, input.data) });
    for (const [out, name] of [['ln_pre', 'encode_image.ln_pre'], ['ln_post', 'encode_image.ln_post'], ['embedding', 'encode_image.out']] as const) {
      expect(relativeError(image[out]!.data as Float32Array, ref[name]!.data), name).toBeLessThan(TOL);
    }
  });

  it('the graphs built from the three containers give identical outputs (a mirror in another container is the same model)', async () => {
    const input = ref['encode_image.input']!;
    const rows = ref['encode_text.tokens']!.data;
    const ids = Int32Array.from(rows.subarray(0, 77));
    const outputs = [];
    for (const file of FILES) {
      const { architecture: a, weights } = await load(file);
      const image = await runGraph(buildImageEncoderGraph(weights, a, { batch: 2 }), { image: hostTensor('float32', input.shape, input.data) });
      const text = await runGraph(buildTextEncoderGraph(weights, a, { batch: 1 }), textEncoderFeeds([{ ids, eotIndex: argmaxIndex(ids), truncated: false, length: 0 }]));
      outputs.push([image.embedding!.data as Float32Array, text.embedding!.data as Float32Array]);
    }
    const [first, ...rest] = outputs;
    for (const [i, other] of rest.entries()) {
      expect(Buffer.compare(Buffer.from(other[0]!.buffer), Buffer.from(first![0]!.buffer)), `${FILES[i + 1]} image`).toBe(0);
      expect(Buffer.compare(Buffer.from(other[1]!.buffer), Buffer.from(first![1]!.buffer)), `${FILES[i + 1]} text`).toBe(0);
    }
  });
});

it("infers RN50x4 and ViT-B/16 from their shapes as build_model does, and refuses what is neither", () => {
  const stages = [4, 6, 10, 6];
  const rn = new Map<string, number[]>([
    ['visual.attnpool.positional_embedding', [82, 2560]], ['text_projection', [640, 640]], ['positional_embedding', [77, 640]], ['token_embedding.weight', [49408, 640]], ['ln_final.weight', [640]],
    ...stages.flatMap((n, s) => Array.from({ length: n }, (_, b): [string, number[]] => [`visual.layer${s + 1}.${b}.conv1.weight`, [80 * 2 ** s, 80, 1, 1]])),
    ...Array.from({ length: 12 }, (_, i): [string, number[]] => [`transformer.resblocks.${i}.attn.in_proj_weight`, [1920, 640]]),
  ]);
  const r = inferClipArchitecture(rn);
  expect(clipModelName(r)).toBe('RN50x4');
  expect([r.imageResolution, r.visionWidth, r.visionHeads, r.visionResNetLayers, r.embedDim, r.textHeads]).toEqual([288, 80, 40, stages, 640, 10]);
  expect(() => inferClipArchitecture(new Map([['text_projection', [8, 8]]]))).toThrow(/not a CLIP checkpoint/);
  const b16 = new Map<string, number[]>([
    ['visual.proj', [768, 512]], ['visual.conv1.weight', [768, 3, 16, 16]], ['visual.positional_embedding', [197, 768]],
    ['text_projection', [512, 512]], ['positional_embedding', [77, 512]], ['token_embedding.weight', [49408, 512]], ['ln_final.weight', [512]],
    ...Array.from({ length: 12 }, (_, i): [string, number[]] => [`visual.transformer.resblocks.${i}.attn.in_proj_weight`, [2304, 768]]),
    ...Array.from({ length: 12 }, (_, i): [string, number[]] => [`transformer.resblocks.${i}.attn.in_proj_weight`, [1536, 512]]),
  ]);
  const a = inferClipArchitecture(b16);
  expect(clipModelName(a)).toBe('ViT-B/16');
  expect([a.visionHeads, a.textHeads, a.textLayers, a.embedDim]).toEqual([12, 8, 12, 512]);
});
