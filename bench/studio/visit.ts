import type { Locator, Page } from 'playwright-core';
import type { Figure } from '../run';

export interface VisitOptions {
  /** Done on the loaded page before Generate is pressed (choosing the cached models); timed with the rest. */
  readonly prepare?: (page: Page) => Promise<void>;
  /** Wait for the job to finish; else the visit ends at the first preview (the page is left mid-job). */
  readonly untilDone: boolean;
  /** The job's step count, to time its last step when `untilDone` (with upscaling on, "Step N of N" stays up while SwinIR runs). */
  readonly steps?: number;
  readonly timeoutMs: number;
  /** The job's loading message: when given, the time it goes away (the models read, before any graph or step) is taken too. */
  readonly loadingText?: string;
}

export interface Visit {
  readonly modelsLoadedMs?: number;
  readonly firstStepMs: number;
  readonly firstPreviewMs: number;
  readonly lastStepMs?: number;
  readonly doneMs?: number;
  /** The loss terms shown at the end (finite numbers say the random weights kept activations finite). */
  readonly losses?: string;
}

/** Resolves when `target` appears; rejects with the job's error as soon as the job fails instead. */
async function milestone(page: Page, target: Locator, timeout: number): Promise<void> {
  const failed = page.locator('.step-text', { hasText: /^Failed$/ }).waitFor({ timeout }).then(async () => {
    const alerts = await page.getByRole('alert').allTextContents();
    throw new Error(`the job failed: ${alerts.join(' / ') || 'no message shown'}`);
  });
  try {
    await Promise.race([target.waitFor({ timeout }), failed]);
  } finally {
    failed.catch(() => undefined);
  }
}

/**
 * Loads the page (settings from the link), prepares it, presses Generate as soon as it can, and
 * times the milestones from the start of navigation. A real page load each time: a hash-only change
 * would keep the page and its worker.
 */
export async function visit(page: Page, url: string, o: VisitOptions): Promise<Visit> {
  await page.goto('about:blank');
  const t0 = performance.now();
  await page.goto(url);
  const since = () => Math.round(performance.now() - t0);
  const preview = page.waitForSelector('canvas[aria-label^="Preview at step"]', { timeout: o.timeoutMs }).then(since);
  preview.catch(() => undefined);
  await o.prepare?.(page);
  await page.getByRole('button', { name: 'Generate' }).click();
  let modelsLoadedMs: number | undefined;
  if (o.loadingText) {
    // Shown while the worker reads the checkpoints, cleared before the pipeline builds or loads any graph.
    await page.getByText(o.loadingText).waitFor({ timeout: o.timeoutMs });
    await page.getByText(o.loadingText).waitFor({ state: 'hidden', timeout: o.timeoutMs });
    modelsLoadedMs = since();
  }
  await milestone(page, page.getByText(/^Step 1 of \d+/), o.timeoutMs);
  const firstStepMs = since();
  const firstPreviewMs = await preview;
  const loaded = modelsLoadedMs !== undefined ? { modelsLoadedMs } : {};
  if (!o.untilDone) return { ...loaded, firstStepMs, firstPreviewMs };
  let lastStepMs: number | undefined;
  if (o.steps !== undefined) {
    await milestone(page, page.getByText(new RegExp(`^Step ${o.steps} of ${o.steps}\\b`)), o.timeoutMs);
    lastStepMs = since();
  }
  await milestone(page, page.locator('.step-text', { hasText: /^Done$/ }), o.timeoutMs);
  const doneMs = since();
  const losses = (await page.getByLabel('Loss terms').first().textContent({ timeout: 5000 }).catch(() => null)) ?? 'not shown';
  return { ...loaded, firstStepMs, firstPreviewMs, ...(lastStepMs !== undefined && { lastStepMs }), doneMs, losses };
}

export const ms = (value: number): Figure => ({ value, unit: 'ms' });
export const s = (valueMs: number): Figure => ({ value: +(valueMs / 1000).toFixed(1), unit: 's' });
