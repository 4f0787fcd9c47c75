import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePng, encodePng } from '../../src/png';
import { SETTINGS_KEYWORD } from '../../src/ui/png-metadata';
import { SEED_DEFAULTS } from '../../src/ui/settings';
import { urlWithSettings } from '../../src/ui/url-settings';
import { openStudio, type Studio } from './browser';
import { servedApp } from './served-app';
import { download, dropFile, fillJob, waitForJob, watchLabels } from './studio-page';
import { measureWorker } from './worker-memory';

const app = servedApp();

const modes = [
  { name: 'with a WebGPU adapter', webgpu: true, ep: 'webgpu', backendText: /^WebGPU \(google swiftshader, software fallback adapter\)$/ },
  { name: 'without WebGPU (wasm fallback)', webgpu: false, ep: 'wasm', backendText: /^WebAssembly, \d+ threads?: no WebGPU adapter is available$/ },
] as const;

// Generation runs on wasm here: SwiftShader's software WebGPU takes 30–40 s per guided step of the
// demo pack on 2 cores, so WebGPU gets one short job in webgpu-generate.test.ts (and the device-loss
// test); webgpu-grad.test.ts checks that every op of the gradient graphs stays on the WebGPU EP.
for (const mode of modes) {
  it(`studio in Chromium ${mode.name} reports the ${mode.ep} backend and the demo pack`, async () => {
    const studio = await openStudio(app.url, { webgpu: mode.webgpu });
    try {
      const backend = studio.page.getByRole('status', { name: 'Backend' });
      await expect.poll(() => backend.getAttribute('data-ep'), { timeout: 60_000 }).toBe(mode.ep);
      expect(await backend.textContent()).toMatch(mode.backendText);
      expect(await studio.page.evaluate(() => self.crossOriginIsolated)).toBe(true);
      expect(await studio.page.getByLabel('Models in use').textContent()).toMatch(/^Demo pack: tiny random models, not art\./);
      expect(studio.errors).toEqual([]);
    } finally {
      await studio.close();
    }
  });
}

describe('the studio on wasm with the demo pack', () => {
  let studio: Studio;
  beforeAll(async () => {
    studio = await openStudio(app.url, { webgpu: false });
  });
  afterAll(async () => {
    await studio?.close();
  });

  it('prompt → generate (Ctrl+Enter) → previews → upscale → a ×4 PNG carrying the settings', async () => {
    const { page } = studio;
    const prompt = 'café at night ☕ 夜のカフェ';
    await fillJob(page, { prompt, seed: 42 });
    const seen = await watchLabels(page);
    await page.getByLabel('Prompt', { exact: true }).press('Control+Enter');
    expect(await waitForJob(page)).toBe('Done');
    // Previews, the upscale's progress, and, while SwinIR runs, the last preview veiled where its tiles are not done.
    const labels = await seen();
    for (const shown of [/^canvas:Preview at step \d/, /^progress:Upscale progress$/, /^svg:Upscaling ×4/]) expect(labels.some((l) => shown.test(l)), `${shown} among ${labels.join(' | ')}`).toBe(true);
    const progress = page.getByRole('progressbar', { name: 'Generation progress' });
    expect(await progress.getAttribute('max')).toBe('6');
    expect(await progress.getAttribute('value')).toBe('6');
    expect(await page.getByLabel('Loss terms').textContent()).toMatch(/^CLIP \d+\.\d{4} · TV [\d.]+ · range [\d.]+ · saturation [\d.]+ · gradient RMS /);
    // The loss plot: a point per step on each term's line.
    const plot = page.getByRole('img', { name: 'Loss per step (CLIP, TV, range, saturation), 6 of 6 steps' });
    const lines = await plot.locator('polyline').evaluateAll((els) => els.map((e) => [e.getAttribute('data-series'), e.getAttribute('points')!.split(' ').length]));
    expect(lines).toEqual([['clip', 6], ['tv', 6], ['range', 6], ['saturation', 6]]);

    const base = await download(page, /^Download PNG 64×64$/);
    const sr = await download(page, /^Download upscaled PNG 256×256$/);
    expect([base.fileName, sr.fileName]).toEqual(['clip-diffusion-cafe-at-night-42.png', 'clip-diffusion-cafe-at-night-42-x4.png']);
    const [small, big] = [decodePng(base.bytes), decodePng(sr.bytes)];
    expect([small.width, small.height, big.width, big.height]).toEqual([64, 64, 256, 256]);
    expect(big.text.parameters).toMatch(new RegExp(`^${prompt}\\nSteps: 8, Sampler: ddim8, Skip steps: 2, Seed: 42, Size: 256x256, Model: demo pack \\(tiny random models\\), .*Upscale: SwinIR-M x4, Backend: wasm$`));
    const meta = JSON.parse(big.text['clip-diffusion-web']!) as { settings: Record<string, unknown>; upscaledBy: string };
    expect(meta.upscaledBy).toBe('M');
    expect(meta.settings).toMatchObject({ prompts: [{ text: prompt, weight: 1 }], seed: 42, sampling: 'ddim8', skipTimesteps: 2, cutn: 4, upscale: 'M' });
    expect(studio.errors).toEqual([]);
  });

  it('Escape cancels a running job and the next job still runs', async () => {
    const { page } = studio;
    await fillJob(page, { prompt: 'a long job', seed: 3, sampling: 'ddim500', skip: 0, upscale: 'off' });
    await page.getByRole('button', { name: 'Generate' }).click();
    await page.getByText(/^Step \d+ of 500/).waitFor({ timeout: 120_000 });
    await page.keyboard.press('Escape');
    expect(await waitForJob(page, 30_000)).toBe('Cancelled');
    await fillJob(page, { prompt: 'after the cancel', seed: 5, upscale: 'off' });
    await page.getByRole('button', { name: 'Generate' }).click();
    expect(await waitForJob(page)).toBe('Done');
    expect(decodePng((await download(page, /^Download PNG/)).bytes).text.parameters).toMatch(/^after the cancel\n/);
  });

  it("takes a dragged-in init image and pulls towards it with the demo pack's LPIPS at the init scale set", async () => {
    const { page } = studio;
    const data = new Uint8Array(32 * 32 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 7) % 256));
    await dropFile(page, '[role="group"][aria-label="Init image"]', { name: 'init.png', type: 'image/png', bytes: encodePng({ width: 32, height: 32, data }) });
    await page.getByRole('img', { name: 'Init image: init.png' }).waitFor();
    expect(await page.locator('#init-scale-note').textContent()).toMatch(/^Init scale: how strongly LPIPS-VGG pulls the painting towards the init image/);
    const job = async (initScale: number) => {
      await fillJob(page, { prompt: 'from an init image', seed: 9, upscale: 'off' });
      await page.getByLabel('Init scale').fill(String(initScale));
      await page.getByRole('button', { name: 'Generate' }).click();
      expect(await waitForJob(page)).toBe('Done');
      return download(page, /^Download PNG/);
    };
    const off = await job(0);
    expect(await page.locator('.loss-plot polyline[data-series="init"]').count()).toBe(0);
    const pulled = await job(500);
    expect(await page.locator('.progress .notice').allTextContents()).not.toContainEqual(expect.stringMatching(/LPIPS init loss/));
    expect(await page.locator('.loss-plot polyline[data-series="init"]').count()).toBe(1);
    expect(Number(/init \(LPIPS\) (\S+)/.exec((await page.locator('.loss-plot figcaption').textContent())!)?.[1])).toBeGreaterThan(0);
    expect(JSON.parse(decodePng(pulled.bytes).text[SETTINGS_KEYWORD]!)).toMatchObject({ settings: { initScale: 500 } });
    // The term moves the painting: the same seed without it gives another image.
    expect(decodePng(pulled.bytes).data).not.toEqual(decodePng(off.bytes).data);
    await page.getByRole('button', { name: 'Remove init image' }).click();
  });

  it('dropping a PNG made here restores its settings; the gallery keeps the results', async () => {
    const { page } = studio;
    const made = await download(page, /^Download PNG/);
    await fillJob(page, { prompt: 'something else', seed: 1234 });
    await dropFile(page, 'main', { name: made.fileName, type: 'image/png', bytes: made.bytes });
    await page.getByText(`Settings restored from ${made.fileName}`).waitFor();
    expect(await page.getByLabel('Prompt', { exact: true }).inputValue()).toBe('from an init image');
    expect(await page.getByLabel('Seed', { exact: true }).inputValue()).toBe('9');
    expect(await page.getByRole('listitem', { name: /^Gallery image: / }).count()).toBeGreaterThanOrEqual(2);
    expect(studio.errors).toEqual([]);
  });

  it('guides with the demo ViT and the demo ResNet at once; the PNG names both with their weights, and dropping it brings them back', async () => {
    const { page } = studio;
    await page.getByRole('button', { name: 'Add a CLIP guide' }).click();
    expect(await page.getByLabel('CLIP model 2', { exact: true }).inputValue()).toBe('demo-rn');
    await page.getByLabel('Weight of CLIP model 2').fill('0.5');
    await fillJob(page, { prompt: 'two guides', seed: 21, upscale: 'off' });
    await page.getByRole('button', { name: 'Generate' }).click();
    expect(await waitForJob(page)).toBe('Done');
    const made = await download(page, /^Download PNG/);
    expect(decodePng(made.bytes).text.parameters).toMatch(/, CLIP: demo-vit \+ demo-rn x0\.5, /);
    expect(JSON.parse(decodePng(made.bytes).text[SETTINGS_KEYWORD]!)).toMatchObject({ guides: [{ id: 'demo-vit', weight: 1 }, { id: 'demo-rn', weight: 0.5 }] });
    // The ResNet alone paints another image from the same seed.
    await page.getByRole('button', { name: 'Remove CLIP model 1' }).click();
    expect(await page.getByLabel('CLIP model 1', { exact: true }).inputValue()).toBe('demo-rn');
    await page.getByRole('button', { name: 'Generate' }).click();
    expect(await waitForJob(page)).toBe('Done');
    expect(decodePng((await download(page, /^Download PNG/)).bytes).data).not.toEqual(decodePng(made.bytes).data);
    await dropFile(page, 'main', { name: made.fileName, type: 'image/png', bytes: made.bytes });
    await page.getByText(`Settings restored from ${made.fileName}`).waitFor();
    expect([await page.getByLabel('CLIP model 1', { exact: true }).inputValue(), await page.getByLabel('CLIP model 2', { exact: true }).inputValue()]).toEqual(['demo-vit', 'demo-rn']);
    expect(await page.getByLabel('Weight of CLIP model 2').inputValue()).toBe('0.5');
    await page.getByRole('button', { name: 'Remove CLIP model 2' }).click();
    expect(studio.errors).toEqual([]);
  });

  // Bounds, from job 2 to job 10 (the first jobs fill one-off caches: graphs, the gallery list, ORT's
  // arenas). Page heap 5 MB: measured +0.5 MB (60 kB a job: gallery entries, React state). Engine
  // worker, V8 heap plus the ArrayBuffers it holds, 1 MB: measured +0.24 MB (30 kB a job); one job's
  // graph bytes or sessions kept by mistake are megabytes. onnxruntime's wasm Memory can only grow
  // (in 64 KiB pages), so any growth means tensors or sessions left in it: bound 0; measured 89.5 MB
  // after job 1 and after job 10 (Chromium 156, wasm EP, 2 threads, the demo pack at 64²).
  it('runs 10 jobs in a row without the page heap growing beyond 5 MB, the worker heap beyond 1 MB, or onnxruntime\'s wasm memory at all', async () => {
    const { page } = studio;
    const cdp = await page.context().newCDPSession(page);
    const pageHeap = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      return (await cdp.send('Runtime.getHeapUsage')).usedSize;
    };
    await fillJob(page, { prompt: 'memory', seed: 1, sampling: 'ddim4', skip: 2, upscale: 'off' });
    const measure = async () => {
      const worker = await measureWorker(page);
      return { page: await pageHeap(), worker: worker.usedSize + worker.backingStorageSize, wasm: worker.wasm };
    };
    let before = { page: 0, worker: 0, wasm: [] as readonly number[] };
    for (let run = 1; run <= 10; run++) {
      await page.getByRole('button', { name: 'Generate' }).click();
      expect(await waitForJob(page)).toBe('Done');
      if (run === 2) before = await measure();
    }
    const after = await measure();
    expect(after.page - before.page).toBeLessThan(5 * 2 ** 20);
    expect(after.worker - before.worker).toBeLessThan(2 ** 20);
    expect(before.wasm.length).toBeGreaterThan(0);
    expect(after.wasm).toEqual(before.wasm);
    // Finished jobs beyond the last three are dropped from the page (their images stay in the gallery).
    expect(await page.getByRole('region', { name: 'Queue' }).getByRole('listitem').count()).toBeLessThanOrEqual(4);
    await cdp.detach();
  });

  it('opens a settings link with its settings in the form', async () => {
    const { page } = studio;
    const settings = { ...SEED_DEFAULTS, prompts: [{ text: 'shared by link', weight: 1 }, { text: 'fog', weight: -0.5 }], seed: 777, cutn: 12 };
    await page.goto('about:blank');
    await page.goto(urlWithSettings(app.url, settings));
    await page.getByText('Settings loaded from the link').waitFor();
    expect(await page.getByLabel('Prompt', { exact: true }).inputValue()).toBe('shared by link');
    expect(await page.getByLabel('Prompt 2', { exact: true }).inputValue()).toBe('fog');
    expect(await page.getByLabel('Weight of prompt 2').inputValue()).toBe('-0.5');
    expect(await page.getByLabel('Seed', { exact: true }).inputValue()).toBe('777');
    expect(await page.getByLabel('cutn', { exact: true }).inputValue()).toBe('12');
  });
});
