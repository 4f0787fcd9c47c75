import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { formatBytes } from '../../src/cache';
import { describeWithFixtures, fixturePath } from '../fixtures';
import { openStudio, serveApp, type Studio } from './browser';
import { hostFixture, packOf, serveModels, sha256Hex, type ModelServer } from './model-server';

/** The first-run card (issue 16): one button gets the seed's three models, one progress, then they are the models in use. */
const unet = hostFixture('unet_A.pt', fixturePath('unet', 'unet_A.pt'));
const unetYaml = hostFixture('unet_A.yaml', fixturePath('unet', 'unet_A.yaml'));
const clip = hostFixture('clip_jit.pt', fixturePath('clip', 'clip_jit.pt'));
const bpe = hostFixture('bpe_simple_vocab_16e6.txt.gz', fixturePath('clip', 'bpe_simple_vocab_16e6.txt.gz'));
const swinir = hostFixture('swinir_M.pth', fixturePath('swinir', 'swinir_M.pth'));
const pack = {
  name: 'manifest.json',
  contentType: 'application/json',
  bytes: new TextEncoder().encode(JSON.stringify(packOf([
    { id: 'unet-a', kind: 'diffusion', label: 'Test UNet A', files: [{ ...unet, role: 'weights' }, { ...unetYaml, role: 'config' }] },
    { id: 'clip-test', kind: 'clip', label: 'Test CLIP', files: [{ ...clip, role: 'weights', sha256: sha256Hex(clip.bytes) }, { ...bpe, role: 'config' }] },
    { id: 'swinir-m', kind: 'swinir', label: 'Test SwinIR-M', files: [{ ...swinir, role: 'weights' }] },
  ]))),
};

// Nothing listens on port 9: the page cannot fetch it, as with a host that sends no CORS.
const refusing = {
  name: 'refusing.json',
  contentType: 'application/json',
  bytes: new TextEncoder().encode(JSON.stringify(packOf([
    { id: 'unet-a', kind: 'diffusion', label: 'Test UNet A', files: [{ ...unet, role: 'weights' }, { ...unetYaml, role: 'config' }] },
    { id: 'clip-test', kind: 'clip', label: 'Test CLIP', files: [{ ...clip, role: 'weights' }, { ...bpe, role: 'config' }] },
  ], [{
    id: 'swinir-far', kind: 'swinir', label: 'Far SwinIR-M', format: 'checkpoint', page: 'https://github.com/JingyunLiang/SwinIR/releases/tag/v0.0',
    files: [{ name: 'swinir_M.pth', role: 'weights', url: 'http://127.0.0.1:9/swinir_M.pth' }],
  }]))),
};

describeWithFixtures('first run: Download all', () => {
  let app: PreviewServer;
  let models: ModelServer;
  let studio: Studio;
  let url: string;
  beforeAll(async () => {
    ({ server: app, url } = await serveApp());
    models = await serveModels([unet, unetYaml, clip, bpe, swinir, pack, refusing]);
    studio = await openStudio(`${url}?pack=${encodeURIComponent(`${models.origin}/manifest.json`)}`, { webgpu: false });
  });
  afterAll(async () => {
    await studio?.close();
    await models?.close();
    await app?.close();
  });

  it('lists the three models with their size, downloads them with one aggregated progress, then uses them', async () => {
    const { page } = studio;
    const card = page.getByRole('region', { name: 'Paint with the real models' });
    await card.waitFor({ timeout: 60_000 });
    const total = [unet, unetYaml, clip, bpe, swinir].reduce((n, f) => n + f.bytes.byteLength, 0);
    expect(await card.textContent()).toContain('it paints noise, not art');
    expect(await card.getByRole('listitem').allTextContents()).toEqual(['Test UNet A', 'Test CLIP', 'Test SwinIR-M']);
    expect(await card.textContent()).toContain(`${formatBytes(total)} in all`);
    models.paceOnce('clip_jit.pt', 40);
    await card.getByRole('button', { name: 'Download all' }).click();
    const status = card.getByLabel('Download all status');
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toMatch(new RegExp(` of ${formatBytes(total)} \\(\\d+%\\), [\\d.]+ [kM]B/s, `));
    await card.waitFor({ state: 'detached', timeout: 120_000 });
    expect(await page.getByRole('radio', { name: /^Cached models/ }).isChecked()).toBe(true);
    expect([await page.getByLabel('Diffusion model').inputValue(), await page.getByLabel('CLIP model 1', { exact: true }).inputValue(), await page.getByLabel('SwinIR-M (upscale M)').inputValue()]).toEqual(['unet-a', 'clip-test', 'swinir-m']);
    expect(studio.errors).toEqual([]);
  });

  it("shows a refusing host's direct link and upstream page, and where to drop the file", async () => {
    const { page } = studio;
    await page.goto(`${url}?pack=${encodeURIComponent(`${models.origin}/refusing.json`)}`);
    const card = page.getByRole('region', { name: 'Paint with the real models' });
    await card.getByRole('button', { name: 'Download all' }).click();
    const alert = card.getByRole('alert');
    await alert.waitFor({ timeout: 60_000 });
    expect(await alert.textContent()).toContain('drop each on its model in Models below');
    expect(await alert.getByRole('link', { name: 'swinir_M.pth' }).getAttribute('href')).toBe('http://127.0.0.1:9/swinir_M.pth');
    expect(await alert.getByRole('link', { name: 'upstream page' }).getAttribute('href')).toBe('https://github.com/JingyunLiang/SwinIR/releases/tag/v0.0');
    expect(await page.getByRole('radio', { name: /^Demo pack/ }).isChecked()).toBe(true);
  });
});
