import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { run as runConvert } from '../../../src/cli/commands/convert';
import { withFileSource } from '../../../src/cli/file-source';
import { convertUnet } from '../../../src/models/unet';
import type { ConvertedModel } from '../../../src/models/convert';
import type { HostTensor } from '../../../src/runtime';
import { describeWithFixtures, fixturePath } from '../../fixtures';
import { wasmRuntime } from '../../helpers/ort';
import { get, readReferences, relError } from './fixtures';

const out = mkdtempSync(join(tmpdir(), 'convert-unet-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const convertA = (args: string[], fp16?: boolean): Promise<ConvertedModel> =>
  withFileSource(fixturePath('unet/unet_A.pt'), (source) =>
    convertUnet({ source, sourceName: 'unet_A.pt', sourceSha256: 'abc', args, readText: (p) => readFile(p, 'utf8'), ...(fp16 === undefined ? {} : { fp16 }) }));

async function runFile(model: ConvertedModel, path: string, refs: Map<string, HostTensor>) {
  const session = await wasmRuntime().createSession(model.files.find((f) => f.path === path)!.data);
  const result = await session.run({ x: get(refs, 'A.x'), t: get(refs, 'A.case1.t') });
  await session.dispose();
  return result;
}

describeWithFixtures('convert unet', () => {
  it('writes a forward and a guided graph that reproduce upstream, documented in model.json', async () => {
    const refs = await readReferences('unet/unet_ref.safetensors');
    const model = await convertA(['--model_config', fixturePath('unet/unet_A.yaml'), '--batch', '2']);
    expect(model.files.map((f) => f.path)).toEqual(['unet.onnx', 'unet_guided.onnx']);
    const graphs = model.manifest.graphs as { path: string; inputs: { name: string; shape: number[]; meaning: string }[]; outputs: { name: string }[] }[];
    expect(graphs[0]!.inputs.map((i) => [i.name, i.shape])).toEqual([['x', [2, 3, 32, 32]], ['t', [2]]]);
    expect(graphs[1]!.inputs.map((i) => i.name)).toEqual(['x', 't', 'sqrt_recip_alphas_cumprod', 'sqrt_recipm1_alphas_cumprod', 'pred_xstart_cotangent']);
    expect(graphs[1]!.outputs.map((o) => o.name)).toEqual(['out', 'pred_xstart', 'grad_x']);
    expect(graphs.every((g) => g.inputs.every((i) => i.meaning.length > 10))).toBe(true);
    expect(model.manifest).toMatchObject({ kind: 'unet', weights: 'float32', source: { file: 'unet_A.pt', sha256: 'abc' }, config: { imageSize: 32, channelMult: [1, 2, 2] } });
    const result = await runFile(model, 'unet.onnx', refs);
    expect(relError(result.out!.data as Float32Array, get(refs, 'A.case1.out').data as Float32Array)).toBeLessThan(1e-4);
  });

  it('stores fp16 weights on request, half the bytes, within 1e-2', async () => {
    const refs = await readReferences('unet/unet_ref.safetensors');
    const [fp32, fp16] = [await convertA(['--model_config', fixturePath('unet/unet_A.yaml'), '--batch', '2']), await convertA(['--model_config', fixturePath('unet/unet_A.yaml'), '--batch', '2'], true)];
    expect(fp16.manifest.weights).toBe('float16');
    expect(fp16.files[0]!.data.byteLength).toBeLessThan(0.55 * fp32.files[0]!.data.byteLength);
    const result = await runFile(fp16, 'unet.onnx', refs);
    expect(relError(result.out!.data as Float32Array, get(refs, 'A.case1.out').data as Float32Array)).toBeLessThan(1e-2);
  });

  it('flags override the yaml, and a config that does not fit names the first tensor and both shapes', async () => {
    await expect(convertA(['--model_config', fixturePath('unet/unet_A.yaml'), '--num_channels', '64'])).rejects.toThrow(
      'unet_A.pt: tensor time_embed.0.weight is [128, 32] in the checkpoint but [256, 64] in the configuration');
    await expect(convertA(['--preset', '256x256_clip_diffusion_art'])).rejects.toThrow(/tensor time_embed\.0\.weight is \[128, 32\] in the checkpoint but \[512, 128\]/);
    await expect(convertA([])).rejects.toThrow(/give the model configuration/);
  });

  it('the CLI writes the files and model.json with the checkpoint\'s sha256', async () => {
    const file = fixturePath('unet/unet_B.pt');
    const code = await runConvert(['unet', '--checkpoint', file, '--model_config', fixturePath('unet/unet_B.yaml'), '--out', out, '--fp16']);
    expect(code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(manifest.source.sha256).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
    expect(manifest.weights).toBe('float16');
    expect(readFileSync(join(out, 'unet_guided.onnx')).byteLength).toBe(manifest.graphs[1].bytes);
    expect(await runConvert(['no-such-kind', '--checkpoint', file, '--out', out])).toBe(2);
  });
});
