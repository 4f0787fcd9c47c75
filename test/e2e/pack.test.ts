import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodePng } from '../../src/png';
import { describeWithFixtures } from '../fixtures';
import { openStudio, serveApp, type Studio } from './browser';
import { serveModels, type ModelServer } from './model-server';
import { fixturePackEntries, hostedPack, onnxEntry } from './pack-entries';
import { download, downloadModel, fillJob, modelRow, modelState, waitForJob } from './studio-page';

let app: PreviewServer;
let models: ModelServer;
let studio: Studio;

describeWithFixtures('generation from a pack of converted ONNX files (?pack=)', () => {
  beforeAll(async () => {
    const { converted, entries } = await fixturePackEntries();
    // A model.json cut short: the download is refused with a message and nothing of it kept.
    const broken = onnxEntry('broken-onnx', 'diffusion', 'Broken UNet', 'broken', { files: converted.unet.files.slice(0, 1), modelJson: new TextEncoder().encode('{"kind": "unet", "config": ') });
    const served = await serveApp();
    app = served.server;
    models = await serveModels(hostedPack([...entries, broken]));
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
    expect(await page.getByLabel('CLIP model 1', { exact: true }).inputValue()).toBe('clip-onnx');
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
