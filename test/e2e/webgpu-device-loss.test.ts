import { expect, it } from 'vitest';
import { decodePng } from '../../src/png';
import { openStudio } from './browser';
import { servedApp } from './served-app';
import { download, fillJob, waitForJob } from './studio-page';

const app = servedApp();

// `?loseDeviceAtStep=1` makes the worker destroy onnxruntime's GPUDevice when a job reaches step 1,
// as a driver reset or GPU process crash would; the UNet runs of step 2 then meet a dead device.
it('a GPU device lost mid-job ends the job with a clear message, and the next job runs on a fresh device', async () => {
  const studio = await openStudio(`${app.url}?loseDeviceAtStep=1`, { webgpu: true });
  try {
    const { page } = studio;
    const backend = page.getByRole('status', { name: 'Backend' });
    await expect.poll(() => backend.getAttribute('data-ep'), { timeout: 60_000 }).toBe('webgpu');
    await fillJob(page, { prompt: 'lost', seed: 2, sampling: 'ddim4', skip: 2, upscale: 'off' });
    await page.getByRole('button', { name: 'Generate' }).click();
    expect(await waitForJob(page, 400_000)).toBe('Failed');
    // It stopped at the loss: one step done of two, and no image.
    expect(await page.getByRole('progressbar', { name: 'Generation progress' }).getAttribute('value')).toBe('1');
    expect(await page.getByRole('link', { name: /^Download PNG/ }).count()).toBe(0);
    const alert = await page.getByRole('alert').allTextContents();
    expect(alert).toEqual([expect.stringMatching(/^the GPU device was lost \(destroyed[^\n]*\); the engine restarts for the next job$/)]);

    await fillJob(page, { prompt: 'after the loss', seed: 3, sampling: 'ddim4', skip: 2, upscale: 'off' });
    await page.getByRole('button', { name: 'Generate' }).click();
    expect(await waitForJob(page, 300_000)).toBe('Done');
    const png = decodePng((await download(page, /^Download PNG 64×64$/)).bytes);
    expect(png.text.parameters).toMatch(/^after the loss\n.*Backend: webgpu$/s);
  } finally {
    await studio.close();
  }
}, 900_000);
