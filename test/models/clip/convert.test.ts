import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { withFileSource } from '../../../src/cli/file-source';
import { convertClip } from '../../../src/models/clip/convert';
import { argmaxIndex, textEncoderFeeds } from '../../../src/models/clip/feeds';
import { describeWithFixtures, fixturePath } from '../../fixtures';
import { wasmRuntime } from '../../helpers/ort';
import { readReferences, relativeError } from './reference';

describeWithFixtures('convert clip', () => {
  it('writes fp16 text, image and guidance graphs and a model.json; the text graph reproduces encode_text', async () => {
    const model = await withFileSource(fixturePath('clip', 'hf', 'model.safetensors'), (source) => convertClip({
      source, sourceName: 'model.safetensors', sourceSha256: '0', args: ['--hf_config', fixturePath('clip', 'hf', 'config.json'), '--height', '64', '--width', '64', '--cutn', '2', '--targets', '3', '--skip_augs'],
      readText: async (p) => readFileSync(p, 'utf8'),
    }));
    expect(model.files.map((f) => f.path)).toEqual(['clip_text.onnx', 'clip_image.onnx', 'clip_guidance.onnx']);
    expect(model.manifest).toMatchObject({ kind: 'clip', weights: 'float16', guidance: { cutn: 2, targets: 3, augment: false, image: { height: 64, width: 64 } } });
    const ref = await readReferences('clip', ['encode_text.tokens', 'encode_text.out']);
    const session = await wasmRuntime().createSession(model.files[0]!.data);
    for (let i = 0; i < 4; i++) {
      const ids = Int32Array.from(ref['encode_text.tokens']!.data.subarray(i * 77, (i + 1) * 77));
      const out = await session.run(textEncoderFeeds([{ ids, eotIndex: argmaxIndex(ids), truncated: false, length: 0 }]));
      expect(relativeError(out.embedding!.data as Float32Array, ref['encode_text.out']!.data.subarray(i * 32, (i + 1) * 32))).toBeLessThan(1e-4);
    }
    await session.dispose();
  });

  it('refuses unknown options with the usage', async () => {
    const request = { source: { size: 0, read: () => Promise.reject(new Error('unread')) }, sourceName: 'x', sourceSha256: '0', args: ['--bogus', '1'], readText: () => Promise.resolve('') };
    await expect(convertClip(request)).rejects.toThrow(/unknown or incomplete option --bogus/);
  });
});
