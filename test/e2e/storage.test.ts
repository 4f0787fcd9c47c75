import type { CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithFixtures, fixturePath } from '../fixtures';
import { openStudio, type Studio } from './browser';
import { servedApp } from './served-app';
import { hostFixture, packOf, serveModels, sha256Hex, type ModelServer } from './model-server';
import { downloadModel, fillJob, modelCacheKeys, modelRow, modelState, waitForJob } from './studio-page';

/**
 * The cache under a real quota and with two tabs, in Chromium. `Storage.overrideQuotaForOrigin`
 * makes IndexedDB refuse writes past the given size, with three findings of Chromium 156 shaping the
 * tests: the override binds only IndexedDB connections of an origin opened after it (the browser
 * caches the space left per origin and asks again only once that runs out), so it is set before the
 * studio first loads; navigator.storage.estimate() still reports the disk's quota; IndexedDB values
 * are stored compressed (the fixtures' small random weights to about a third). A refused write
 * rejects with a QuotaExceededError (empty message) from the aborted transaction. Two pages of one
 * browser context share the origin's IndexedDB and Web Locks.
 */
const CHUNK = 256 * 1024;

const swinirM = hostFixture('swinir_M.pth', fixturePath('swinir', 'swinir_M.pth'));
const swinirL = hostFixture('swinir_L.pth', fixturePath('swinir', 'swinir_L.pth'));
const unetA = hostFixture('unet_A.pt', fixturePath('unet', 'unet_A.pt'));
const unetYaml = hostFixture('unet_A.yaml', fixturePath('unet', 'unet_A.yaml'));
const clipJit = hostFixture('clip_jit.pt', fixturePath('clip', 'clip_jit.pt'));
const bpe = hostFixture('bpe_simple_vocab_16e6.txt.gz', fixturePath('clip', 'bpe_simple_vocab_16e6.txt.gz'));

const pack = {
  name: 'manifest.json',
  contentType: 'application/json',
  bytes: new TextEncoder().encode(JSON.stringify(packOf([
    { id: 'swinir-m-x4', kind: 'swinir', label: 'Test SwinIR-M', files: [{ ...swinirM, role: 'weights', sha256: sha256Hex(swinirM.bytes) }] },
    { id: 'unet-a', kind: 'diffusion', label: 'Test UNet A', files: [{ ...unetA, role: 'weights', sha256: sha256Hex(unetA.bytes) }, { ...unetYaml, role: 'config' }] },
    { id: 'clip-test', kind: 'clip', label: 'Test CLIP', files: [{ ...clipJit, role: 'weights' }, { ...bpe, role: 'config' }] },
    { id: 'swinir-l-x4', kind: 'swinir', label: 'Test SwinIR-L', files: [{ ...swinirL, role: 'weights', sha256: sha256Hex(swinirL.bytes) }] },
  ]))),
};


/** SHA-256 of a cached file's chunk records read back in order: the file is intact when it is the served file's. */
const cachedDigest = (page: Page, url: string): Promise<string> =>
  page.evaluate((prefix) => new Promise<string>((resolve, reject) => {
    const open = indexedDB.open('clip-diffusion-web');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const store = open.result.transaction('model-cache').objectStore('model-cache');
      const range = IDBKeyRange.bound(`${prefix}chunk/`, `${prefix}chunk/\uffff`);
      const [keys, values] = [store.getAllKeys(range), store.getAll(range)];
      values.onerror = () => reject(values.error);
      values.onsuccess = async () => {
        const index = (k: IDBValidKey) => Number(String(k).split('/').pop());
        const chunks = keys.result.map((k, i) => [index(k), values.result[i] as Uint8Array] as const).sort((a, b) => a[0] - b[0]);
        const whole = new Uint8Array(chunks.reduce((n, [, c]) => n + c.byteLength, 0));
        chunks.reduce((at, [, c]) => (whole.set(c, at), at + c.byteLength), 0);
        open.result.close();
        resolve([...new Uint8Array(await crypto.subtle.digest('SHA-256', whole))].map((b) => b.toString(16).padStart(2, '0')).join(''));
      };
    };
  }), `file/${encodeURIComponent(url)}/`);

const app = servedApp();
let models: ModelServer;
let studio: Studio;
let cdp: CDPSession;
let studioUrl: string;

/** What the app's origin may store (the disk's quota again with `undefined`); see above for when it binds. */
const setQuota = (session: CDPSession, bytes: number | undefined) =>
  session.send('Storage.overrideQuotaForOrigin', { origin: new URL(app.url).origin, ...(bytes !== undefined ? { quotaSize: bytes } : {}) });

/** The studio opened with the origin's quota set before its first IndexedDB connection. */
async function openWithQuota(url: string, bytes: number): Promise<{ studio: Studio; cdp: CDPSession }> {
  const opened = await openStudio('about:blank', { webgpu: false });
  const session = await opened.page.context().newCDPSession(opened.page);
  await setQuota(session, bytes);
  await opened.page.goto(url);
  return { studio: opened, cdp: session };
}


describe('the graph cache at a full quota', () => {
  it('finishes the job, says once that the graphs were not cached, and caches them once there is room', async () => {
    const full = await openWithQuota(app.url, 1_000_000);
    const { page } = full.studio;
    const graphEntries = async () => (await modelCacheKeys(page)).filter((k) => k.startsWith('graph/') && k.endsWith('/entry'));
    try {
      // The demo pack's graphs are megabytes each; the gallery's PNGs (tens of kB) still fit.
      await fillJob(page, { prompt: 'a full disk', seed: 5, sampling: 'ddim4', upscale: 'M' });
      await page.getByRole('button', { name: 'Generate' }).click();
      expect(await waitForJob(page)).toBe('Done');
      const notices = (await page.locator('.progress .notice').allTextContents()).filter((n) => n.includes('graphs were not cached'));
      expect(notices).toEqual([
        expect.stringMatching(/^The converted graphs were not cached, so they will be built again next time; this job goes on\. \(not enough storage to cache the converted model: it needs [\d.]+ MB more, .*Nothing of it was kept\./),
      ]);
      expect(await graphEntries()).toEqual([]);
      // The gallery saves after Done is shown.
      await expect.poll(() => page.getByRole('listitem', { name: /^Gallery image: / }).count(), { timeout: 30_000 }).toBe(1);
      // Room made: the next visit builds them once more and caches them.
      await setQuota(full.cdp, undefined);
      await page.reload();
      await fillJob(page, { prompt: 'room again', seed: 6, sampling: 'ddim4', upscale: 'M' });
      await page.getByRole('button', { name: 'Generate' }).click();
      expect(await waitForJob(page)).toBe('Done');
      expect(await page.getByText(/graphs were not cached/).count()).toBe(0);
      expect((await graphEntries()).length).toBeGreaterThanOrEqual(3);
      expect(full.studio.errors).toEqual([]);
    } finally {
      await full.studio.close();
    }
  });
});

describeWithFixtures('models at a full quota, and two tabs', () => {
  beforeAll(async () => {
    models = await serveModels([swinirM, swinirL, unetA, unetYaml, clipJit, bpe, pack]);
    studioUrl = `${app.url}?pack=${encodeURIComponent(`${models.origin}/manifest.json`)}&chunkKiB=${CHUNK / 1024}`;
    // Room for SwinIR-M (0.8 MB stored), not for UNet A (about 1.9 MB).
    ({ studio, cdp } = await openWithQuota(studioUrl, 1_500_000));
    await modelRow(studio.page, 'Test SwinIR-M').waitFor();
  });
  afterAll(async () => {
    await studio?.close();
    await models?.close();
  });

  it('stops a download at a full quota with the figures and what to do, keeps its part and the other models, and resumes once there is room', async () => {
    const { page } = studio;
    await downloadModel(page, 'Test SwinIR-M');
    const alert = modelRow(page, 'Test UNet A').getByRole('alert');
    try {
      await page.getByRole('button', { name: 'Download Test UNet A' }).click();
      await alert.waitFor({ timeout: 120_000 });
    } finally {
      // Room made (the quota is the disk's again).
      await setQuota(cdp, undefined);
    }
    expect(await alert.textContent()).toMatch(
      /^not enough storage to cache unet_A\.pt: it needs [\d.]+ MB more, and the browser lets this site store [\d.]+ [kMGT]?B more \(quota .*, .* used\)(, yet it refused to store more)?\. The [\d.]+ [kM]B stored so far are kept: make room, then press Resume to carry on from there\. To make room, delete cached models you do not need or free disk space; "Keep models \(persistent storage\)"/,
    );
    await expect.poll(() => modelState(page, 'Test UNet A')).toBe('partial');
    expect(await page.getByRole('button', { name: 'Download Test UNet A' }).textContent()).toBe('Resume');
    // The model already cached is untouched: still verified, and its records hash to the served file.
    expect(await modelState(page, 'Test SwinIR-M')).toBe('verified');
    expect(await cachedDigest(page, `${models.origin}/swinir_M.pth`)).toBe(sha256Hex(swinirM.bytes));

    // Resume carries on from the last stored chunk.
    await downloadModel(page, 'Test UNet A');
    const seen = models.requests.get('unet_A.pt')!;
    expect(seen).toHaveLength(2);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(seen[1]!)?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt % CHUNK).toBe(0);
    expect(await cachedDigest(page, `${models.origin}/unet_A.pt`)).toBe(sha256Hex(unetA.bytes));
    expect(studio.errors).toEqual([]);
  });

  it('downloads a model once when two tabs ask for it: the second says it waits, then shows it verified', async () => {
    const a = studio.page;
    const b = await a.context().newPage();
    try {
      await b.goto(studioUrl);
      await modelRow(b, 'Test SwinIR-L').waitFor();
      models.paceOnce('swinir_L.pth', 80);
      await a.getByRole('button', { name: 'Download Test SwinIR-L' }).click();
      await modelRow(a, 'Test SwinIR-L').getByText(/^Downloading swinir_L\.pth/).waitFor({ timeout: 30_000 });
      await b.getByRole('button', { name: 'Download Test SwinIR-L' }).click();
      await modelRow(b, 'Test SwinIR-L').getByText('swinir_L.pth: waiting, downloading in another tab…').waitFor({ timeout: 30_000 });
      await expect.poll(() => modelState(b, 'Test SwinIR-L'), { timeout: 120_000 }).toBe('verified');
      expect(await modelState(a, 'Test SwinIR-L')).toBe('verified');
      expect(models.requests.get('swinir_L.pth')).toEqual(['full']);
      expect(await modelRow(b, 'Test SwinIR-L').getByRole('alert').count()).toBe(0);
      expect(await cachedDigest(b, `${models.origin}/swinir_L.pth`)).toBe(sha256Hex(swinirL.bytes));
    } finally {
      await b.close();
    }
  });

  it('makes a delete in one tab wait for a generation from that model in the other', async () => {
    const a = studio.page;
    const b = await a.context().newPage();
    try {
      await b.goto(studioUrl);
      await expect.poll(() => modelState(b, 'Test UNet A'), { timeout: 30_000 }).toBe('verified');
      await downloadModel(a, 'Test CLIP');
      await a.getByRole('radio', { name: /^Cached models/ }).check();
      await fillJob(a, { prompt: 'while another tab deletes', seed: 6, sampling: 'ddim8', upscale: 'off' });
      await a.getByRole('button', { name: 'Generate' }).click();
      await a.getByText(/^Step \d+ of \d+/).waitFor({ timeout: 180_000 });
      await b.getByRole('button', { name: 'Delete Test UNet A' }).click();
      await modelRow(b, 'Test UNet A').getByText(/^unet_A\.pt: waiting, in use by a generation…$/).waitFor({ timeout: 30_000 });
      expect(await modelState(b, 'Test UNet A')).toBe('verified');
      expect(await waitForJob(a, 240_000)).toBe('Done');
      await expect.poll(() => modelState(b, 'Test UNet A'), { timeout: 60_000 }).toBe('absent');
      // The other tab's panel hears of the delete.
      await expect.poll(() => modelState(a, 'Test UNet A'), { timeout: 30_000 }).toBe('absent');
      const unetKeys = (await modelCacheKeys(a)).filter((k) => k.includes('unet_A') || k.includes(sha256Hex(unetA.bytes)));
      expect(unetKeys).toEqual([]);
      expect(await modelState(a, 'Test CLIP')).toBe('verified');
      expect(await cachedDigest(a, `${models.origin}/clip_jit.pt`)).toBe(sha256Hex(clipJit.bytes));
      expect(studio.errors).toEqual([]);
    } finally {
      await b.close();
    }
  });
});
