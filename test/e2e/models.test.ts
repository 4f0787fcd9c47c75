import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PickleWriter } from '../checkpoint/helpers/pickle-writer';
import { torchZip } from '../checkpoint/helpers/torch-writer';
import { describeWithFixtures, fixturePath } from '../fixtures';
import { memorySource, openCheckpoint } from '../../src/checkpoint';
import { decodePng, encodePng } from '../../src/png';
import { openStudio, serveApp, type Studio } from './browser';
import { download, downloadModel, dropFile, dropTrainingFiles, fillJob, modelCacheKeys, modelRow, modelState, waitForJob, waitForTraining } from './studio-page';
import { hostFixture, packOf, serveModels, sha256Hex, type ModelServer } from './model-server';

/** Cache records of 256 KiB (the `?chunkKiB=` test hook) so a cut-off 2.9 MB download resumes mid-file. */
const CHUNK = 256 * 1024;

let app: PreviewServer;
let appUrl: string;
let models: ModelServer;

const swinirM = hostFixture('swinir_M.pth', fixturePath('swinir', 'swinir_M.pth'));
const unetA = hostFixture('unet_A.pt', fixturePath('unet', 'unet_A.pt'));
const unetYaml = hostFixture('unet_A.yaml', fixturePath('unet', 'unet_A.yaml'));
const clipJit = hostFixture('clip_jit.pt', fixturePath('clip', 'clip_jit.pt'));
const bpe = hostFixture('bpe_simple_vocab_16e6.txt.gz', fixturePath('clip', 'bpe_simple_vocab_16e6.txt.gz'));
// torchvision's layout in torch's legacy format, classifier included: the cache keeps its features only.
const vggSmall = hostFixture('vgg16_small_legacy.pth', fixturePath('lpips', 'vgg16_small_legacy.pth'));
const linSmall = hostFixture('lin_small_legacy.pth', fixturePath('lpips', 'lin_small_legacy.pth'));
// A torch zip whose pickle asks for os.system: the reader must refuse it by name and run nothing.
const hostile = { name: 'hostile.pth', bytes: torchZip({ storages: [], pickle: new PickleWriter().proto(2).global('os', 'system').str('echo pwned').stop().bytes() }) };
const webPage = { name: 'page.pth', bytes: new TextEncoder().encode('<!doctype html><title>Sign in</title>'), contentType: 'text/html' };

// Nothing listens on port 9 (discard): the browser cannot fetch it, as with a CORS refusal.
const offline = { id: 'offline', kind: 'swinir', label: 'Offline model', format: 'checkpoint', files: [{ name: 'swinir_M.pth', role: 'weights', url: 'http://127.0.0.1:9/swinir_M.pth' }] };

/** The pack: relative URLs resolve against its own URL, so the model server serves everything. */
const pack = {
  name: 'manifest.json',
  contentType: 'application/json',
  bytes: new TextEncoder().encode(JSON.stringify({
    ...packOf([
      { id: 'swinir-m-x4', kind: 'swinir', label: 'Test SwinIR-M', files: [{ ...swinirM, role: 'weights', sha256: sha256Hex(swinirM.bytes) }] },
      { id: 'hostile', kind: 'swinir', label: 'Hostile file', files: [{ ...hostile, role: 'weights' }] },
      { id: 'web-page', kind: 'swinir', label: 'Web page', files: [{ ...webPage, role: 'weights' }] },
      { id: 'unet-a', kind: 'diffusion', label: 'Test UNet A', files: [{ ...unetA, role: 'weights' }, { ...unetYaml, role: 'config' }] },
      { id: 'clip-test', kind: 'clip', label: 'Test CLIP', files: [{ ...clipJit, role: 'weights' }, { ...bpe, role: 'config' }] },
      { id: 'lpips-test', kind: 'lpips', label: 'Test LPIPS', files: [{ ...vggSmall, role: 'weights', sha256: sha256Hex(vggSmall.bytes), keep: ['features.'] }, { ...linSmall, role: 'head' }] },
    ], [offline]),
  })),
};



describeWithFixtures('models panel with a local model server', () => {
  let studio: Studio;
  beforeAll(async () => {
    ({ server: app, url: appUrl } = await serveApp());
    models = await serveModels([swinirM, hostile, webPage, unetA, unetYaml, clipJit, bpe, vggSmall, linSmall, pack]);
    studio = await openStudio(`${appUrl}?pack=${encodeURIComponent(`${models.origin}/manifest.json`)}&chunkKiB=${CHUNK / 1024}`, { webgpu: false });
    await modelRow(studio.page, 'Test SwinIR-M').waitFor();
  });
  afterAll(async () => {
    await studio?.close();
    await models?.close();
    await app?.close();
  });

  it('lists the pack with sizes and digests', async () => {
    expect(await studio.page.getByRole('heading', { name: 'Models: Test models' }).count()).toBe(1);
    expect(await modelRow(studio.page, 'Test SwinIR-M').textContent()).toContain(`${swinirM.bytes.byteLength.toLocaleString('en')} bytes`);
    expect(await modelRow(studio.page, 'Test SwinIR-M').textContent()).toContain(sha256Hex(swinirM.bytes));
  });

  it('resumes a download cut off midway with Range and verifies it', async () => {
    models.cutOnce('swinir_M.pth', 1_500_000);
    await studio.page.getByRole('button', { name: 'Download Test SwinIR-M' }).click();
    await expect.poll(() => modelState(studio.page, 'Test SwinIR-M'), { timeout: 120_000 }).toBe('verified');
    await expect.poll(() => modelRow(studio.page, 'Test SwinIR-M').getByRole('button', { name: /^Download/ }).isDisabled()).toBe(true);
    const seen = models.requests.get('swinir_M.pth')!;
    expect(seen[0]).toBe('full');
    expect(seen).toHaveLength(2);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(seen[1]!)?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt % CHUNK).toBe(0);
    expect(resumedAt).toBeLessThanOrEqual(1_500_000);
    expect(await modelRow(studio.page, 'Test SwinIR-M').textContent()).toContain('Cached and verified');
  });

  it('does not download again after a reload', async () => {
    const before = models.requests.get('swinir_M.pth')!.length;
    await studio.page.reload();
    await expect.poll(() => modelState(studio.page, 'Test SwinIR-M'), { timeout: 30_000 }).toBe('verified');
    expect(models.requests.get('swinir_M.pth')).toHaveLength(before);
  });

  it('refuses a hostile checkpoint with a message and keeps nothing of it', async () => {
    await studio.page.getByRole('button', { name: 'Download Hostile file' }).click();
    const alert = modelRow(studio.page, 'Hostile file').getByRole('alert');
    await alert.waitFor({ timeout: 60_000 });
    expect(await alert.textContent()).toMatch(/refused and removed from the cache: .*os/);
    await expect.poll(() => modelState(studio.page, 'Hostile file')).toBe('absent');
    expect((await modelCacheKeys(studio.page)).filter((k) => k.includes('hostile.pth'))).toEqual([]);
  });

  it('refuses a web page served instead of the model', async () => {
    await studio.page.getByRole('button', { name: 'Download Web page' }).click();
    const alert = modelRow(studio.page, 'Web page').getByRole('alert');
    await alert.waitFor({ timeout: 60_000 });
    expect(await alert.textContent()).toContain('answered with a web page (HTML)');
    await expect.poll(() => modelState(studio.page, 'Web page')).toBe('absent');
    expect((await modelCacheKeys(studio.page)).filter((k) => k.includes('page.pth'))).toEqual([]);
  });

  it('offers the drop zone when the URL cannot be fetched, and imports the dropped file', async () => {
    await studio.page.getByRole('button', { name: 'Download Offline model' }).click();
    const offline = modelRow(studio.page, 'Offline model');
    await offline.getByText('Cannot fetch from the browser (CORS/offline)').waitFor({ timeout: 60_000 });
    await offline.getByLabel('Drop the file for Offline model: file picker').setInputFiles({ name: 'swinir_M.pth', mimeType: 'application/octet-stream', buffer: Buffer.from(swinirM.bytes) });
    await expect.poll(() => modelState(studio.page, 'Offline model'), { timeout: 120_000 }).toBe('verified');
  });

  it("keeps only the VGG16 convolutions LPIPS reads, under the whole file's digest", async () => {
    await downloadModel(studio.page, 'Test LPIPS');
    expect(await modelRow(studio.page, 'Test LPIPS').textContent()).toMatch(/Cached and verified \(9\d\d kB kept of 1\.13 MB\)/);
    const keys = (await modelCacheKeys(studio.page)).filter((k) => k.includes('vgg16_small_legacy.pth'));
    expect(keys.some((k) => k.includes('/subset/chunk/'))).toBe(true);
    expect(keys.filter((k) => /\/chunk\/\d+$/.test(k) && !k.includes('/subset/'))).toEqual([]);
  });

  it('generates from the cached checkpoints, with the cached LPIPS pulling towards an init image, and upscales with the cached SwinIR-M', async () => {
    const { page } = studio;
    for (const label of ['Test UNet A', 'Test CLIP']) await downloadModel(page, label);
    await page.getByRole('radio', { name: /^Cached models/ }).check();
    expect(await page.getByLabel('Diffusion model').inputValue()).toBe('unet-a');
    expect(await page.getByLabel('SwinIR-M (upscale M)').inputValue()).toBe('swinir-m-x4');
    expect(await page.getByLabel('LPIPS (init image term)').inputValue()).toBe('lpips-test');
    const data = new Uint8Array(32 * 32 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 5) % 256));
    await dropFile(page, '[role="group"][aria-label="Init image"]', { name: 'init.png', type: 'image/png', bytes: encodePng({ width: 32, height: 32, data }) });
    await page.getByRole('img', { name: 'Init image: init.png' }).waitFor();
    expect(await page.locator('#init-scale-note').textContent()).toMatch(/^Init scale: how strongly LPIPS-VGG pulls/);
    await fillJob(page, { prompt: 'from the cache', seed: 11 });
    await page.getByLabel('Init scale').fill('1000');
    await page.getByRole('button', { name: 'Generate' }).click();
    expect(await waitForJob(page, 240_000)).toBe('Done');
    const sr = decodePng((await download(page, /^Download upscaled PNG 128×128$/)).bytes);
    expect([sr.width, sr.height]).toEqual([128, 128]);
    expect(sr.text.parameters).toMatch(/Model: Test UNet A \+ Test CLIP \+ Test SwinIR-M \+ Test LPIPS, /);
    expect(Number(/init \(LPIPS\) (\S+)/.exec((await page.locator('.loss-plot figcaption').textContent())!)?.[1])).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Remove init image' }).click();
    // The graphs were cached under each checkpoint's digest, so the next visit does not build them again.
    const entries = async (bytes: Uint8Array) => (await modelCacheKeys(studio.page)).filter((k) => k.startsWith(`graph/${encodeURIComponent(`sha256:${sha256Hex(bytes)}`)}/`) && k.endsWith('/entry'));
    expect(await entries(unetA.bytes)).toHaveLength(2);
    expect((await entries(clipJit.bytes)).length).toBeGreaterThanOrEqual(1);
    // Deleting a model deletes its graphs.
    await page.getByRole('button', { name: 'Delete Test UNet A' }).click();
    await expect.poll(async () => (await entries(unetA.bytes)).length).toBe(0);
    expect((await entries(clipJit.bytes)).length).toBeGreaterThanOrEqual(1);
    await page.getByRole('radio', { name: /^Demo pack/ }).check();
  });

  it('fine-tunes a cached diffusion checkpoint (its yaml, its _metadata carried over) and paints with the result in its place', async () => {
    const { page } = studio;
    await downloadModel(page, 'Test UNet A');
    const panel = page.getByRole('region', { name: 'Fine-tune' });
    await panel.getByLabel('Start from').selectOption('unet-a');
    const image = (seed: number) => encodePng({ width: 40, height: 40, data: new Uint8Array(40 * 40 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * seed) % 256)) });
    await dropTrainingFiles(page, [{ name: 'one.png', type: 'image/png', bytes: image(3) }, { name: 'two.png', type: 'image/png', bytes: image(7) }]);
    await panel.getByLabel('Steps (lr_anneal_steps)').fill('2');
    await panel.getByLabel('Save every (steps)').fill('2');
    await expect.poll(async () => (await panel.getByLabel('Memory estimate').textContent()) ?? '').toMatch(/^Needs about /);
    await panel.getByRole('button', { name: 'Start training' }).click();
    await waitForTraining(page, /^Done · step 1 \(2 of 2 this run\)/);
    expect(await panel.getByText('The saved run was trained from Test UNet A; Resume continues it.').count()).toBe(1);
    const saved = await openCheckpoint(memorySource((await download(page, 'Download model000002.pt')).bytes));
    const original = await openCheckpoint(memorySource(unetA.bytes));
    expect([...saved.tensors].map(([n, t]) => `${n} ${t.shape.join('x')}`)).toEqual([...original.tensors].map(([n, t]) => `${n} ${t.shape.join('x')}`));
    expect(saved.moduleMetadata).toEqual(original.moduleMetadata);
    await panel.getByRole('button', { name: 'Paint with model000002.pt' }).click();
    expect(await page.getByLabel('Diffusion model').inputValue()).toBe('unet-a');
    expect(await page.getByLabel('Diffusion UNet').inputValue()).toBe('model000002.pt');
    await fillJob(page, { prompt: 'fine-tuned', seed: 5, upscale: 'off' });
    await page.getByRole('button', { name: 'Generate' }).click();
    expect(await waitForJob(page, 240_000)).toBe('Done');
    const png = decodePng((await download(page, /^Download PNG 32×32$/)).bytes);
    // A value with a colon is quoted, as A1111's writer does.
    expect(png.text.parameters).toMatch(/Model: "Test UNet A \+ Test CLIP.* \(UNet fine-tuned in this studio: model000002\.pt\)", /);
    await page.getByRole('radio', { name: /^Demo pack/ }).check();
  });

  it('deletes one model, then all', async () => {
    await studio.page.getByRole('button', { name: 'Delete Offline model' }).click();
    await expect.poll(() => modelState(studio.page, 'Offline model')).toBe('absent');
    expect(await modelState(studio.page, 'Test SwinIR-M')).toBe('verified');
    await studio.page.getByRole('button', { name: 'Delete all cached models' }).click();
    await expect.poll(() => modelState(studio.page, 'Test SwinIR-M')).toBe('absent');
    expect(await modelCacheKeys(studio.page)).toEqual([]);
    expect(await studio.page.getByLabel('Storage').textContent()).toMatch(/Using .* of .* the browser allows/);
    expect(studio.errors).toEqual([]);
  });
});

describe('models panel without a pack', () => {
  it('lists the built-in manifest', async () => {
    const { server, url } = await serveApp();
    const studio = await openStudio(url, { webgpu: false });
    try {
      await studio.page.getByRole('listitem', { name: 'CLIP ViT-B/16 (the seed default)' }).waitFor();
      expect(await studio.page.getByRole('heading', { name: 'Models: Original models' }).count()).toBe(1);
    } finally {
      await studio.close();
      await server.close();
    }
  });
});
