import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { memorySource, openCheckpoint } from '../../src/checkpoint';
import { encodePng } from '../../src/png';
import { createRng } from '../../src/sampling/rng';
import { openStudio, type Studio } from './browser';
import { servedApp } from './served-app';
import { seriousViolations } from './axe';
import { download, dropTrainingFiles, fillJob, waitForJob, waitForTraining } from './studio-page';

const app = servedApp();

/** A smooth pattern with a disc, seeded: the kind a few steps start to fit. */
function image(size: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  const [cx, cy, hue] = [size * (0.3 + 0.4 * rng.uniform()), size * (0.3 + 0.4 * rng.uniform()), Math.floor(rng.uniform() * 200)];
  const data = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = (x - cx) ** 2 + (y - cy) ** 2 < (size / 4) ** 2;
      data.set(inside ? [hue, 40, 200 - hue, 255] : [(x * 3) % 256, (y * 3) % 256, 128, 255], (y * size + x) * 4);
    }
  }
  return encodePng({ width: size, height: size, data });
}

const status = (page: Page) => page.getByRole('status', { name: 'Training status' });

describe('fine-tuning in the studio (Chromium, wasm)', () => {
  let studio: Studio;
  beforeAll(async () => {
    studio = await openStudio(app.url, { webgpu: false });
  });
  afterAll(async () => {
    await studio?.close();
  });

  it('drop images → train → the loss on them falls → torch checkpoints download → paint with the result; a reload keeps the set and resumes; Stop saves', async () => {
    const { page } = studio;
    const panel = page.getByRole('region', { name: 'Fine-tune' });
    await dropTrainingFiles(page, [
      { name: 'a.png', type: 'image/png', bytes: image(96, 1) },
      { name: 'b.png', type: 'image/png', bytes: image(80, 2) },
      { name: 'notes.txt', type: 'text/plain', bytes: new TextEncoder().encode('not an image') },
    ]);
    await expect.poll(() => panel.getByRole('list', { name: 'Training set' }).getByRole('img').count()).toBe(2);
    expect(await panel.getByRole('alert').first().textContent()).toBe('Not images, left out: notes.txt');
    // Dropped again under the same name, an image replaces the one the set has (and moves to the end).
    await dropTrainingFiles(page, [{ name: 'a.png', type: 'image/png', bytes: image(96, 1) }]);
    const names = () => panel.getByRole('list', { name: 'Training set' }).getByRole('img').evaluateAll((imgs) => imgs.map((i) => i.getAttribute('alt')));
    await expect.poll(names).toEqual(['b.png', 'a.png']);
    await panel.getByLabel('Learning rate').fill('0.002');
    await panel.getByLabel('Steps (lr_anneal_steps)').fill('6');
    await panel.getByLabel('Save every (steps)').fill('3');
    await expect.poll(async () => (await panel.getByLabel('Memory estimate').textContent()) ?? '').toMatch(/^Needs about [\d.]+ MB in the runtime at its peak \(largest buffer [\d.]+ MB\) and [\d.]+ MB in the page for 1\.11 M parameters\.$/);

    await panel.getByRole('button', { name: 'Start training' }).click();
    await waitForTraining(page, /^Done · step 5 \(6 of 6 this run\)/);
    const fixed = (await panel.getByLabel('Loss on your images').textContent())!;
    const [, before, after] = /([\d.]+) → ([\d.]+) after 6 steps$/.exec(fixed)!.map(Number) as [number, number, number];
    expect(after).toBeLessThan(0.8 * before);
    expect(await page.getByRole('img', { name: 'Training loss per step (loss, mse, vb), 6 of 6 steps' }).count()).toBe(1);
    // The model's unguided sample as the last save left it.
    expect(await panel.getByRole('img', { name: 'Sample after 6 steps' }).count()).toBe(1);
    const files = panel.getByRole('list', { name: 'Saved files' });
    for (const step of ['000000', '000003', '000006']) for (const kind of ['model', 'ema_0.9999_', 'opt']) await expect.poll(() => files.getByRole('link', { name: `Download ${kind}${step}.pt` }).count()).toBe(1);
    // The panel with a finished run (set, options, plot, files) has no serious or critical axe-core violations.
    expect(await seriousViolations(page, '.train-panel')).toEqual([]);
    const { bytes, fileName } = await download(page, 'Download model000006.pt');
    expect(fileName).toBe('model000006.pt');
    const checkpoint = await openCheckpoint(memorySource(bytes));
    expect([checkpoint.format, checkpoint.tensors.size]).toEqual(['torch', 166]);

    await panel.getByRole('button', { name: 'Paint with model000006.pt' }).click();
    expect(await page.getByLabel('Models in use').textContent()).toMatch(/UNet fine-tuned in this studio \(model000006\.pt\)\.$/);
    await fillJob(page, { prompt: 'a lighthouse', seed: 7, upscale: 'off' });
    await page.getByRole('button', { name: 'Generate' }).click();
    expect(await waitForJob(page)).toBe('Done');

    // A reload finds the set and the run; Resume continues from model000006.pt (its first step numbered 6, as upstream's), Stop saves.
    await page.reload();
    await expect.poll(() => panel.getByRole('list', { name: 'Training set' }).getByRole('img').count(), { timeout: 60_000 }).toBe(2);
    await panel.getByLabel('Steps (lr_anneal_steps)').fill('40');
    await panel.getByLabel('Save every (steps)').fill('100');
    await panel.getByRole('button', { name: 'Resume' }).click();
    await waitForTraining(page, /^Training · step 7 /);
    await panel.getByRole('button', { name: 'Stop' }).click();
    await waitForTraining(page, /^Stopped \(saved\) · step (\d+)/);
    // Saved when it stopped, as TrainLoop's last save: numbered one past the last step.
    const last = Number(/step (\d+)/.exec((await status(page).textContent())!)![1]);
    await expect.poll(() => files.getByRole('link', { name: `Download model${String(last + 1).padStart(6, '0')}.pt` }).count()).toBe(1);
    expect(studio.errors).toEqual([]);
  }, 600_000);
});
