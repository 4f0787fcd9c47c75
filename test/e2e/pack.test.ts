import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodePng } from '../../src/png';
import type { ConvertedModel } from '../../src/models/convert';
import { describeWithFixtures, fixturePath } from '../fixtures';
import { convertFixturePack } from '../pipeline/pack-fixture';
import { openStudio, serveApp, type Studio } from './browser';
import { hostFixture, serveModels, sha256Hex, type HostedFile, type ModelServer } from './model-server';
import { download, downloadModel, fillJob, modelRow, modelState, waitForJob } from './studio-page';

let app: PreviewServer;
let models: ModelServer;
let studio: Studio;

interface PackEntry {
  readonly entry: object;
  readonly hosted: readonly HostedFile[];
}

/** A converted model as a pack entry (format 'onnx'): model.json and its ONNX files, hosted under `dir/` and listed by relative URL. */
function onnxEntry(id: string, kind: string, label: string, dir: string, model: { files: readonly { path: string; data: Uint8Array }[]; modelJson: Uint8Array }, extra: readonly (HostedFile & { role: string })[] = []): PackEntry {
  const files = [
    { name: 'model.json', role: 'model-json', bytes: model.modelJson },
    ...model.files.map((f) => ({ name: f.path, role: 'onnx', bytes: f.data })),
    ...extra,
  ];
  return {
    entry: { id, kind, label, format: 'onnx', files: files.map((f) => ({ name: f.name, role: f.role, url: `${dir}/${f.name}`, size: f.bytes.byteLength, sha256: sha256Hex(f.bytes) })) },
    hosted: files.map((f) => ({ name: `${dir}/${f.name}`, bytes: f.bytes })),
  };
}

const asPack = (m: ConvertedModel) => ({ files: m.files, modelJson: new TextEncoder().encode(JSON.stringify(m.manifest)) });


describeWithFixtures('generation from a pack of converted ONNX files (?pack=)', () => {
  beforeAll(async () => {
    // What `cli convert unet|clip|swinir` writes for the fixture checkpoints (fp32; augmented guidance, C = 2, T = 6; 40×40 SwinIR tile).
    const converted = await convertFixturePack({ augment: true });
    const vocab = hostFixture('bpe_simple_vocab_16e6.txt.gz', fixturePath('clip', 'bpe_simple_vocab_16e6.txt.gz'));
    const entries = [
      onnxEntry('unet-a-onnx', 'diffusion', 'Pack UNet A', 'unet', asPack(converted.unet)),
      onnxEntry('clip-onnx', 'clip', 'Pack CLIP', 'clip', asPack(converted.clip), [{ ...vocab, role: 'config' }]),
      onnxEntry('swinir-m-onnx', 'swinir', 'Pack SwinIR-M', 'swinir', asPack(converted.swinir)),
      // A model.json cut short: the download is refused with a message and nothing of it kept.
      onnxEntry('broken-onnx', 'diffusion', 'Broken UNet', 'broken', { files: converted.unet.files.slice(0, 1), modelJson: new TextEncoder().encode('{"kind": "unet", "config": ') }),
    ];
    const manifest = { format: 'clip-diffusion-web/models', version: 1, name: 'Converted test pack', models: entries.map((e) => e.entry) };
    const packFile = { name: 'pack.json', contentType: 'application/json', bytes: new TextEncoder().encode(JSON.stringify(manifest)) };
    const served = await serveApp();
    app = served.server;
    models = await serveModels([...entries.flatMap((e) => e.hosted), packFile]);
    studio = await openStudio(`${served.url}?pack=${encodeURIComponent(`${models.origin}/pack.json`)}`, { webgpu: false });
    await modelRow(studio.page, 'Pack UNet A').waitFor();
  });
  afterAll(async () => {
    await studio?.close();
    await models?.close();
    await app?.close();
  });

  it('refuses a pack model whose model.json is corrupt, with a message, and keeps nothing of it', async () => {
    await studio.page.getByRole('button', { name: 'Download Broken UNet' }).click();
    const alert = modelRow(studio.page, 'Broken UNet').getByRole('alert');
    await alert.waitFor({ timeout: 60_000 });
    expect(await alert.textContent()).toMatch(/refused and removed from the cache: Broken UNet: model.json is not valid JSON/);
    await expect.poll(() => modelState(studio.page, 'Broken UNet')).toBe('absent');
  });

  it('downloads the pack, generates from its graphs and upscales with its SwinIR tile graph', async () => {
    const { page } = studio;
    for (const label of ['Pack UNet A', 'Pack CLIP', 'Pack SwinIR-M']) await downloadModel(page, label, 120_000);
    await page.getByRole('radio', { name: /^Cached models/ }).check();
    expect(await page.getByLabel('Diffusion model').inputValue()).toBe('unet-a-onnx');
    expect(await page.getByLabel('CLIP model').inputValue()).toBe('clip-onnx');
    expect(await page.getByLabel('SwinIR-M (upscale M)').inputValue()).toBe('swinir-m-onnx');
    expect(await page.getByLabel('Models in use').textContent()).toContain('Converted ONNX models from the pack');
    await fillJob(page, { prompt: 'from the pack', seed: 12 });
    await page.getByRole('button', { name: 'Generate' }).click();
    expect(await waitForJob(page, 240_000)).toBe('Done');
    const sr = decodePng((await download(page, /^Download upscaled PNG 128×128$/)).bytes);
    expect([sr.width, sr.height]).toEqual([128, 128]);
    expect(sr.text.parameters).toMatch(/Model: Pack UNet A \+ Pack CLIP \+ Pack SwinIR-M, /);
    // The pack's graphs are its downloaded files: nothing was built or fetched twice.
    expect(models.requests.get('unet/unet.onnx')).toHaveLength(1);
    expect(studio.errors).toEqual([]);
  });
});
