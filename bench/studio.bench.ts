import { SEED_DEFAULTS, type StudioSettings } from '../src/ui/settings';
import { urlWithSettings } from '../src/ui/url-settings';
import { openStudio, serveApp, type Studio } from '../test/e2e/browser';
import type { Benchmark, Figure } from './run';

/** The demo job the bench times: the e2e suite's quick settings (6 DDIM steps, 4 cutouts, preview every 2). */
const JOB: StudioSettings = {
  ...SEED_DEFAULTS, prompts: [{ text: 'a lighthouse in a storm', weight: 1 }], sampling: 'ddim8', skipTimesteps: 2, cutn: 4, cutnBatches: 1, previewEvery: 2, upscale: 'off', seed: 7,
};

interface Visit {
  readonly firstStepMs: number;
  readonly firstPreviewMs: number;
  readonly doneMs: number;
}

/** Loads the page (settings from the link), presses Generate as soon as it is there, and times the milestones from the navigation start. */
async function visit(studio: Studio, url: string): Promise<Visit> {
  const { page } = studio;
  // A real page load each time (a hash-only change would keep the page and its worker).
  await page.goto('about:blank');
  const t0 = performance.now();
  await page.goto(url);
  const since = () => Math.round(performance.now() - t0);
  const preview = page.waitForSelector('canvas[aria-label^="Preview at step"]', { timeout: 600_000 }).then(since);
  await page.getByRole('button', { name: 'Generate' }).click();
  await page.getByText(/^Step 1 of \d+/).waitFor({ timeout: 600_000 });
  const firstStepMs = since();
  const firstPreviewMs = await preview;
  await page.locator('.step-text', { hasText: /^Done$/ }).waitFor({ timeout: 600_000 });
  return { firstStepMs, firstPreviewMs, doneMs: since() };
}

const ms = (value: number): Figure => ({ value, unit: 'ms' });

const bench: Benchmark = {
  description: 'studio page load → first step / first preview, demo pack, Chromium wasm EP (graphs cached in IndexedDB after the first visit)',
  async run() {
    const { server, url } = await serveApp();
    const studio = await openStudio(url, { webgpu: false });
    try {
      const link = urlWithSettings(url, JOB);
      const cold = await visit(studio, link);
      const warm = await visit(studio, link);
      const threads = await studio.page.evaluate(() => (self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1));
      return {
        threads,
        figures: {
          'cold: load → first step': ms(cold.firstStepMs), 'cold: load → first preview': ms(cold.firstPreviewMs), 'cold: load → done (6 steps)': ms(cold.doneMs),
          'cached: load → first step': ms(warm.firstStepMs), 'cached: load → first preview': ms(warm.firstPreviewMs), 'cached: load → done (6 steps)': ms(warm.doneMs),
        },
        notes: [
          'Cold: a fresh profile builds and serialises every graph; cached: the page loaded again in the same profile (new worker, new sessions), graphs read from IndexedDB, demo weights rebuilt. Times are from the start of navigation, and include Playwright pressing Generate once the button is there.',
          'Full-size random-weight models are not timed: the page would need ~0.6 GB of generated .pt files (art UNet 113.7 M parameters + ViT-B/16 + SwinIR-M) served and stored in IndexedDB per run, and one guided step at the seed defaults takes minutes on wasm without a GPU (see sample-step.json); e2e times the fixture-size checkpoints from the cache instead (models.test.ts).',
          'Headless Chromium without a GPU (wasm EP).',
        ],
      };
    } finally {
      await studio.close();
      await server.close();
    }
  },
};

export default bench;
