import { expect, it } from 'vitest';
import { decodePng } from '../../src/png';
import { openStudio } from './browser';
import { servedApp } from './served-app';
import { download, fillJob, waitForJob } from './studio-page';

const app = servedApp();

/** Two guided DDIM steps, 4 cutouts, SwinIR-M: about 2 minutes on SwiftShader's software WebGPU (2 cores). */
const JOB = { prompt: 'a lighthouse in the fog', seed: 11, sampling: 'ddim4', skip: 2, upscale: 'M' } as const;

interface Result {
  readonly backend: string | null;
  readonly base: ArrayLike<number>;
  readonly sr: ArrayLike<number>;
  readonly parameters: string;
}

async function generateIn(webgpu: boolean): Promise<Result> {
  const studio = await openStudio(app.url, { webgpu });
  try {
    const { page } = studio;
    const backend = page.getByRole('status', { name: 'Backend' });
    await expect.poll(() => backend.getAttribute('data-ep'), { timeout: 60_000 }).toBe(webgpu ? 'webgpu' : 'wasm');
    await fillJob(page, JOB);
    await page.getByRole('button', { name: 'Generate' }).click();
    expect(await waitForJob(page, 480_000)).toBe('Done');
    const base = decodePng((await download(page, /^Download PNG 64×64$/)).bytes);
    const sr = decodePng((await download(page, /^Download upscaled PNG 256×256$/)).bytes);
    expect(studio.errors).toEqual([]);
    return { backend: await backend.getAttribute('data-ep'), base: base.data, sr: sr.data, parameters: sr.text.parameters ?? '' };
  } finally {
    await studio.close();
  }
}

/** The largest difference of any R, G or B value (alpha is always 255), in 8-bit levels. */
function maxLevelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) if (i % 4 !== 3) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

// The same seeded job on both execution providers: the cutouts and noise come from our PRNG on the
// CPU, so only float rounding differs (ORT's WebGPU kernels against its wasm ones, ~1e-6 relative
// per op, webgpu-grad.test.ts). Truncation to 8 bits turns that into a level here and there (measured:
// at most 1 in both images).
it('a demo job on SwiftShader WebGPU gives the wasm EP image within 2 levels, SwinIR included', async () => {
  const gpu = await generateIn(true);
  const cpu = await generateIn(false);
  expect(gpu.backend).toBe('webgpu');
  expect(gpu.parameters).toMatch(/Upscale: SwinIR-M x4, Backend: webgpu$/);
  expect(cpu.parameters).toMatch(/Backend: wasm$/);
  expect(maxLevelDiff(gpu.base, cpu.base)).toBeLessThanOrEqual(2);
  expect(maxLevelDiff(gpu.sr, cpu.sr)).toBeLessThanOrEqual(2);
}, 900_000);
