import { readFileSync } from 'node:fs';
import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSkeleton } from '../../src/models/skeleton';
import { decodePng } from '../../src/png';
import { maxAbsDiff, wasmRuntime } from '../helpers/ort';
import { openStudio, serveApp, type Studio } from './browser';

let server: PreviewServer;
let url: string;

beforeAll(async () => {
  ({ server, url } = await serveApp());
});
afterAll(async () => {
  await server?.close();
});

async function generateAndDownload(studio: Studio, prompt: string, seed: number, viaKeyboard: boolean) {
  const { page } = studio;
  await page.getByLabel('Prompt').fill(prompt);
  await page.getByLabel('Seed').fill(String(seed));
  await page.getByLabel('Steps').fill('6');
  if (viaKeyboard) await page.getByLabel('Prompt').press('Control+Enter');
  else await page.getByRole('button', { name: 'Generate' }).click();
  await page.getByRole('img', { name: `Generated image: ${prompt}` }).waitFor({ timeout: 120_000 });
  const progress = page.getByRole('progressbar', { name: 'Generation progress' });
  expect(await progress.getAttribute('value')).toBe('6');
  expect(await progress.getAttribute('max')).toBe('6');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download PNG' }).click()]);
  expect(download.suggestedFilename()).toBe(`clip-diffusion-${seed}.png`);
  return new Uint8Array(readFileSync(await download.path()));
}

async function expectPngFor(bytes: Uint8Array, prompt: string, seed: number, ep: string) {
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const png = decodePng(bytes);
  expect([png.width, png.height]).toEqual([64, 64]);
  expect(png.text.parameters).toBe(`${prompt}\nSteps: 6, Seed: ${seed}, Size: 64x64, Model: skeleton, Backend: ${ep}`);
  expect(JSON.parse(png.text['clip-diffusion-web']!)).toMatchObject({ prompt, seed, steps: 6, width: 64, height: 64, backend: ep });
  // The browser's pixels are the engine's: the same job on Node's wasm EP, within float rounding.
  const expected = await generateSkeleton(wasmRuntime(), { prompt, seed, steps: 6 });
  expect(maxAbsDiff(png.data, expected.rgba)).toBeLessThanOrEqual(1);
}

const modes = [
  { name: 'with a WebGPU adapter', webgpu: true, ep: 'webgpu', backendText: /^WebGPU \(google swiftshader, software fallback adapter\)$/ },
  { name: 'without WebGPU (wasm fallback)', webgpu: false, ep: 'wasm', backendText: /^WebAssembly, \d+ threads?: no WebGPU adapter is available$/ },
] as const;

for (const mode of modes) {
  describe(`studio in Chromium ${mode.name}`, () => {
    let studio: Studio;
    beforeAll(async () => {
      studio = await openStudio(url, { webgpu: mode.webgpu });
    });
    afterAll(async () => {
      await studio?.close();
    });

    it(`reports the ${mode.ep} backend`, async () => {
      const backend = studio.page.getByRole('status', { name: 'Backend' });
      await expect.poll(() => backend.getAttribute('data-ep'), { timeout: 60_000 }).toBe(mode.ep);
      expect(await backend.textContent()).toMatch(mode.backendText);
      expect(await studio.page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    });

    it('generates from the button and downloads a PNG with its settings', async () => {
      const bytes = await generateAndDownload(studio, 'a lighthouse in a storm', 42, false);
      await expectPngFor(bytes, 'a lighthouse in a storm', 42, mode.ep);
    });

    it('generates with Ctrl+Enter, keeping non-Latin-1 prompts intact', async () => {
      const prompt = 'café at night ☕ 夜のカフェ';
      const bytes = await generateAndDownload(studio, prompt, 7, true);
      await expectPngFor(bytes, prompt, 7, mode.ep);
      expect(studio.errors).toEqual([]);
    });
  });
}

describe('cancelling', () => {
  it('Escape stops a running job and the next job still works', async () => {
    const studio = await openStudio(url, { webgpu: false });
    try {
      const { page } = studio;
      await page.getByLabel('Prompt').fill('a long job');
      await page.getByLabel('Steps').fill('1000');
      await page.getByRole('button', { name: 'Generate' }).click();
      await page.getByText(/^Step \d+ of 1000$/).waitFor();
      await page.keyboard.press('Escape');
      await page.getByText('Cancelled').waitFor({ timeout: 30_000 });
      expect(await page.getByRole('img').count()).toBe(0);
      const bytes = await generateAndDownload(studio, 'after the cancel', 5, false);
      expect(decodePng(bytes).text.parameters).toMatch(/^after the cancel\n/);
      expect(studio.errors).toEqual([]);
    } finally {
      await studio.close();
    }
  });
});
