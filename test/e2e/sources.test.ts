import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithFixtures, fixturePath } from '../fixtures';
import { startFakeHosts, type FakeHosts } from '../helpers/fake-hosts';
import { openStudio, serveApp, type Studio } from './browser';
import { hostFixture, sha256Hex } from './model-server';
import { modelCacheKeys, modelRow, modelState } from './studio-page';

/**
 * Sources in a real browser (issue 21): the manifest's files live on local hosts that behave as the
 * public record says the real ones do (test/helpers/fake-hosts.ts): one 404s, a GitHub release link
 * sends no CORS, GitHub's API does (through its redirect), Hugging Face states each file's SHA-256
 * as its ETag. Chromium enforces CORS; nothing reaches the internet.
 */
const swinirM = hostFixture('swinir_M.pth', fixturePath('swinir', 'swinir_M.pth'));
const NAME = swinirM.name;
const WRONG = 'ab'.repeat(32);

let app: PreviewServer;
let hosts: FakeHosts;
let studio: Studio;

function manifest(h: FakeHosts) {
  const release = `${h.origins.release}/owner/swinir/releases/download/v0.0/${NAME}`;
  const sha256 = sha256Hex(swinirM.bytes);
  const github = { repo: 'owner/swinir', tag: 'v0.0', asset: NAME };
  const model = (id: string, label: string, sources: unknown[]) => ({
    id, kind: 'swinir', label, format: 'checkpoint', page: 'https://github.com/owner/swinir/releases/tag/v0.0',
    files: [{ name: NAME, role: 'weights', url: `https://upstream.example/${id}/${NAME}`, sources }],
  });
  return {
    format: 'clip-diffusion-web/models', version: 1, name: 'Sources',
    models: [
      model('fall-through', 'Falls through', [
        { url: `${h.origins.gone}/${NAME}` },
        { url: release },
        { url: `${h.origins.hf}/${NAME}`, sha256: WRONG },
        { url: release, github, size: swinirM.bytes.length, sha256 },
      ]),
      model('wrong-hash', 'Wrong hash', [{ url: `${h.origins.gone}/${NAME}` }, { url: release, github, sha256: WRONG }]),
    ],
  };
}

describeWithFixtures('model sources in Chromium', () => {
  beforeAll(async () => {
    let appUrl: string;
    ({ server: app, url: appUrl } = await serveApp());
    hosts = await startFakeHosts();
    hosts.files.set(`/${NAME}`, swinirM.bytes);
    hosts.files.set('/manifest.json', new TextEncoder().encode(JSON.stringify(manifest(hosts))));
    hosts.releases.set('v0.0', new Map([[NAME, 1001]]));
    studio = await openStudio(`${appUrl}?pack=${encodeURIComponent(`${hosts.origins.hf}/manifest.json`)}&githubApi=${encodeURIComponent(hosts.origins.api)}`, { webgpu: false });
    await modelRow(studio.page, 'Falls through').waitFor();
  });
  afterAll(async () => {
    await studio?.close();
    await hosts?.close();
    await app?.close();
  });

  it("passes over a 404, a release link without CORS and Hugging Face's wrong ETag hash, says why, and takes GitHub's API route", async () => {
    const { page } = studio;
    hosts.paceMs = 60;
    await page.getByRole('button', { name: 'Download Falls through' }).click();
    const progress = modelRow(page, 'Falls through').locator('.model-progress');
    await expect.poll(() => progress.textContent(), { timeout: 60_000 }).toMatch(/passed over: /);
    const text = (await progress.textContent())!;
    hosts.paceMs = 0;
    const host = (origin: string) => new URL(origin).host;
    expect(text).toContain(`Downloading ${NAME} from ${host(hosts.origins.release)}`);
    expect(text).toContain(`${host(hosts.origins.gone)}: not found (HTTP 404)`);
    expect(text).toMatch(new RegExp(`${host(hosts.origins.release)}: no answer: the host does not let this page fetch it \\(CORS\\)`));
    expect(text).toContain(`${host(hosts.origins.hf)}: wrong hash (the host states SHA-256 ${sha256Hex(swinirM.bytes)}, expected ${WRONG})`);
    await expect.poll(() => modelState(page, 'Falls through'), { timeout: 120_000 }).toBe('verified');
    // The bytes came through the API's redirect to the CDN; Hugging Face was asked for one byte only.
    expect(hosts.requests.filter((r) => r.startsWith('api ')).map((r) => r.split(' ')[2])).toEqual([
      '/repos/owner/swinir/releases/tags/v0.0', '/repos/owner/swinir/releases/assets/1001', '/repos/owner/swinir/releases/assets/1001',
    ]);
    expect(hosts.requests.filter((r) => r === `hf GET /${NAME}`)).toHaveLength(1);
    expect((await modelCacheKeys(page)).filter((k) => k.startsWith('github-asset/'))).toHaveLength(1);
  });

  it('refuses a wrong hash with the file name and both hashes, links the upstream page and offers the drop zone', async () => {
    const { page } = studio;
    await page.getByRole('button', { name: 'Download Wrong hash' }).click();
    const row = modelRow(page, 'Wrong hash');
    const alert = row.getByRole('alert');
    await alert.waitFor({ timeout: 60_000 });
    const message = (await alert.textContent())!;
    expect(message).toContain(`${NAME} cannot be fetched from the browser from any of its 2 sources`);
    expect(message).toContain(`${NAME} does not match its SHA-256 (got ${sha256Hex(swinirM.bytes)}, expected ${WRONG})`);
    expect(await row.getByRole('link', { name: 'Wrong hash upstream' }).getAttribute('href')).toBe('https://github.com/owner/swinir/releases/tag/v0.0');
    expect(await row.getByText('Cannot fetch from the browser (CORS/offline)').count()).toBe(1);
    await expect.poll(() => modelState(page, 'Wrong hash')).toBe('absent');
    expect((await modelCacheKeys(page)).filter((k) => k.includes('wrong-hash'))).toEqual([]);
  });
});
