import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodePng } from '../../src/png';
import { describeWithFixtures } from '../fixtures';
import { serveBuild, type AppServer } from './app-server';
import { openStudio, type Studio } from './browser';
import { serveModels, type ModelServer } from './model-server';
import { asPack, fixturePackEntries, hostedPack, onnxEntry } from './pack-entries';
import { download, fillJob, modelCacheKeys, modelRow, modelState, waitForJob, downloadModel } from './studio-page';

const ROOT = resolve(import.meta.dirname, '../..');
const CHUNK_KIB = 64;

/** Failed requests are how Chromium logs being offline; every other console error is a defect. */
const realErrors = (studio: Studio) => studio.errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to load resource/.test(e));

/** The service worker has precached the app: from now on a reload works with no network. */
const offlineReady = (page: Page) => page.getByLabel('Offline use').waitFor({ timeout: 120_000 });

/** Goes offline and reloads: the page comes from the service worker or not at all. */
async function reloadOffline(page: Page): Promise<void> {
  await page.context().setOffline(true);
  await page.reload();
  await page.getByRole('status', { name: 'Offline' }).waitFor({ timeout: 30_000 });
  expect(await page.evaluate(() => Boolean(navigator.serviceWorker.controller))).toBe(true);
  // The cached responses keep COOP/COEP: the wasm EP still gets its threads.
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
}

async function generateAndDownloadX4(page: Page, prompt: string, size: number): Promise<ReturnType<typeof decodePng>> {
  await fillJob(page, { prompt, seed: 5 });
  await page.getByRole('button', { name: 'Generate' }).click();
  expect(await waitForJob(page, 240_000)).toBe('Done');
  const png = decodePng((await download(page, new RegExp(`^Download upscaled PNG ${size}×${size}$`))).bytes);
  expect([png.width, png.height]).toEqual([size, size]);
  return png;
}

describeWithFixtures('the studio installed and offline (service worker)', () => {
  let app: AppServer;
  let models: ModelServer;
  let studio: Studio | undefined;
  const unetB = { label: 'Pack UNet B', file: '' };

  beforeAll(async () => {
    const { converted, entries } = await fixturePackEntries();
    // The same UNet under another id: the model whose download is stopped midway.
    const extra = onnxEntry('unet-b-onnx', 'diffusion', unetB.label, 'unet-b', asPack(converted.unet));
    unetB.file = [...extra.hosted].sort((a, b) => b.bytes.byteLength - a.bytes.byteLength)[0]!.name;
    app = await serveBuild(join(ROOT, 'dist'));
    models = await serveModels(hostedPack([...entries, extra]));
  });
  afterAll(async () => {
    await studio?.close();
    await models?.close();
    await app?.close();
  });

  it('is installable, reloads offline, generates with the demo pack and cached models, and keeps a stopped download through a refused one', async () => {
    studio = await openStudio(`${app.url}?pack=${encodeURIComponent(`${models.origin}/pack.json`)}&chunkKiB=${CHUNK_KIB}`, { webgpu: false });
    const { page } = studio;
    await offlineReady(page);
    const cdp = await page.context().newCDPSession(page);
    expect((await cdp.send('Page.getInstallabilityErrors')).installabilityErrors).toEqual([]);
    for (const label of ['Pack UNet A', 'Pack CLIP', 'Pack SwinIR-M']) await downloadModel(page, label, 120_000);

    // A download stopped midway: its chunks are what must survive the offline part.
    models.paceOnce(unetB.file, 150);
    await page.getByRole('button', { name: `Download ${unetB.label}` }).click();
    const chunksOfB = async () => (await modelCacheKeys(page)).filter((k) => k.includes(encodeURIComponent(unetB.file)) && k.includes('/chunk/')).length;
    await expect.poll(chunksOfB, { timeout: 60_000 }).toBeGreaterThan(1);
    await page.getByRole('button', { name: `Cancel download of ${unetB.label}` }).click();
    await expect.poll(() => modelState(page, unetB.label)).toBe('partial');
    const kept = await chunksOfB();

    // The service worker saved the app's files and nothing else: the models are in IndexedDB only.
    const saved = await page.evaluate(async () => {
      const urls: string[] = [];
      for (const name of await caches.keys()) for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
      return urls;
    });
    expect(saved.length).toBeGreaterThan(5);
    expect(saved.filter((url) => !url.startsWith(app.url))).toEqual([]);

    await reloadOffline(page);
    await expect.poll(() => page.getByRole('status', { name: 'Offline' }).textContent())
      .toMatch(/^You are offline\. .*the demo pack and the cached models Pack UNet A, Pack CLIP, Pack SwinIR-M\./);
    // The pack's host is out of reach too: its list comes from the copy saved online.
    expect(await page.locator('.models').textContent()).toMatch(/The pack's host cannot be reached: its list as saved on .+ is shown\./);
    expect(await page.getByLabel('Backend').textContent()).toMatch(/^(Starting|WebAssembly, \d+ threads?)/);

    await generateAndDownloadX4(page, 'offline with the demo pack', 256);
    await page.getByRole('radio', { name: /^Cached models/ }).check();
    expect(await page.getByLabel('Diffusion model').inputValue()).toBe('unet-a-onnx');
    const cached = await generateAndDownloadX4(page, 'offline with cached models', 128);
    expect(cached.text.parameters).toMatch(/Model: Pack UNet A \+ Pack CLIP \+ Pack SwinIR-M, /);

    // Resuming offline is refused at once, with what is kept; nothing is lost and nothing was sent.
    const sent = models.requests.get(unetB.file)!.length;
    await page.getByRole('button', { name: `Download ${unetB.label}` }).click();
    const alert = modelRow(page, unetB.label).getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(new RegExp(`^you are offline: ${unetB.label} cannot be downloaded now\\. The [\\d.]+ [kM]B stored so far are kept: press Resume when you are back online\\.$`));
    expect(await modelState(page, unetB.label)).toBe('partial');
    expect(await chunksOfB()).toBe(kept);
    expect(models.requests.get(unetB.file)).toHaveLength(sent);

    // Back online, the page notices by itself; Resume goes through the service worker untouched, as a Range request.
    await page.context().setOffline(false);
    await page.getByRole('status', { name: 'Offline' }).waitFor({ state: 'detached', timeout: 40_000 });
    await downloadModel(page, unetB.label, 120_000);
    const resumed = models.requests.get(unetB.file)!.slice(sent);
    expect(resumed).toHaveLength(1);
    expect(resumed[0]).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(resumed[0]!)![0])).toBe(kept * CHUNK_KIB * 1024);
    expect(realErrors(studio)).toEqual([]);
    await studio.close();
    studio = undefined;
  });

  // Generating on SwiftShader takes minutes (webgpu-generate.test.ts does it); offline, what differs is where onnxruntime's files come from.
  it('reloads offline on WebGPU: onnxruntime starts from the saved files and finds the adapter', async () => {
    studio = await openStudio(app.url, { webgpu: true });
    const { page } = studio;
    await offlineReady(page);
    await reloadOffline(page);
    await expect.poll(() => page.getByLabel('Backend').textContent(), { timeout: 60_000 }).toMatch(/^WebGPU/);
    expect(realErrors(studio)).toEqual([]);
    await studio.close();
    studio = undefined;
  });

  it('offers a new build to an open page, which keeps running the old one until the user reloads', async () => {
    const distB = mkdtempSync(join(tmpdir(), 'studio-build-b-'));
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', distB, '--emptyOutDir', '--logLevel', 'error'], { cwd: ROOT, env: { ...process.env, BUILD_ID: 'offline-test-b' } });
      app.serve(join(ROOT, 'dist'));
      studio = await openStudio(app.url, { webgpu: false });
      const { page } = studio;
      await offlineReady(page);
      const buildA = (await page.getByLabel('Build').textContent())!;
      expect(buildA).not.toBe('build offline-test-b');
      expect(await page.getByRole('status', { name: 'New version' }).count()).toBe(0);

      // The new build is deployed while the user is offline; coming back online, the page looks for it.
      await page.context().setOffline(true);
      await page.getByRole('status', { name: 'Offline' }).waitFor();
      app.serve(distB);
      await page.context().setOffline(false);
      const prompt = page.getByRole('status', { name: 'New version' });
      await prompt.waitFor({ timeout: 60_000 });
      expect(await prompt.textContent()).toContain('A new version of the studio is ready.');
      expect(await page.getByLabel('Build').textContent()).toBe(buildA);

      await Promise.all([page.waitForEvent('load'), prompt.getByRole('button', { name: 'Reload to update' }).click()]);
      expect(await page.getByLabel('Build').textContent()).toBe('build offline-test-b');
      // The engine worker reports its own build: the page says so if it were another one.
      await expect.poll(() => page.getByLabel('Backend').textContent(), { timeout: 60_000 }).toMatch(/^WebAssembly/);
      expect(await page.getByRole('alert').count()).toBe(0);
      // Every script, style and wasm file the page loaded is one of the new build's (the worker reported its build above).
      const loaded = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => /\.(js|mjs|css|wasm)$/.test(p)));
      expect(loaded.length).toBeGreaterThan(0);
      for (const path of loaded) expect(existsSync(join(distB, path)), path).toBe(true);
      expect(realErrors(studio)).toEqual([]);
    } finally {
      rmSync(distB, { recursive: true, force: true });
    }
  });
});
