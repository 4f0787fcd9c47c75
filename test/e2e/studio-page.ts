import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** Settings that keep a demo job to a few seconds on 2 cores: 6 DDIM steps, 4 cutouts. */
export interface QuickJob {
  readonly prompt: string;
  readonly seed: number;
  readonly sampling?: string;
  readonly skip?: number;
  readonly upscale?: 'off' | 'M';
}

export async function fillJob(page: Page, job: QuickJob): Promise<void> {
  await page.getByLabel('Prompt', { exact: true }).fill(job.prompt);
  await page.getByLabel('Seed', { exact: true }).fill(String(job.seed));
  await page.getByLabel('Skip steps').fill(String(job.skip ?? 2));
  await page.getByLabel('Upscale (SwinIR ×4)').selectOption(job.upscale ?? 'M');
  const advanced = page.locator('details.advanced');
  if ((await advanced.getAttribute('open')) === null) await advanced.locator('summary').click();
  await page.getByLabel('sampling (ddimN or N)').fill(job.sampling ?? 'ddim8');
  await page.getByLabel('cutn', { exact: true }).fill('4');
  await page.getByLabel('cutn_batches').fill('1');
  await page.getByLabel('Preview every N steps').fill('2');
}

/**
 * Records every aria-label that appears on the page from now on, however briefly: a MutationObserver
 * keeps added nodes even when a later commit removes them in the same frame, which a selector poll
 * (once per animation frame) can miss. Returns a reader of the labels seen so far.
 */
export async function watchLabels(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const seen = new Set<string>();
    const note = (el: Element) => {
      for (const e of [el, ...el.querySelectorAll('[aria-label]')]) {
        const label = e.getAttribute('aria-label');
        if (label) seen.add(`${e.tagName.toLowerCase()}:${label}`);
      }
    };
    new MutationObserver((records) => {
      for (const r of records) {
        if (r.type === 'attributes' && r.target instanceof Element) note(r.target);
        for (const n of r.addedNodes) if (n instanceof Element) note(n);
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label'] });
    (self as unknown as { seenLabels: Set<string> }).seenLabels = seen;
  });
  return () => page.evaluate(() => [...(self as unknown as { seenLabels: Set<string> }).seenLabels]);
}

/** Waits for the shown job to finish and returns its status text. */
export async function waitForJob(page: Page, timeout = 180_000): Promise<string> {
  const text = page.locator('.step-text');
  await expect.poll(async () => (await text.textContent()) ?? '', { timeout }).toMatch(/^(Done|Failed|Cancelled)$/);
  return (await text.textContent())!;
}

export async function download(page: Page, name: string | RegExp): Promise<{ bytes: Uint8Array; fileName: string }> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name }).first().click()]);
  return { bytes: new Uint8Array(readFileSync(await file.path())), fileName: file.suggestedFilename() };
}

/** Drops a file on an element as a drag from the desktop would (a DataTransfer with one File). */
export async function dropFile(page: Page, selector: string, file: { name: string; type: string; bytes: Uint8Array }): Promise<void> {
  const transfer = await page.evaluateHandle(({ name, type, data }) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(data)], name, { type }));
    return dt;
  }, { name: file.name, type: file.type, data: [...file.bytes] });
  await page.dispatchEvent(selector, 'drop', { dataTransfer: transfer });
}

/** Drops several files on the Train view's image zone at once, as a drag from the desktop would. */
export async function dropTrainingFiles(page: Page, files: readonly { name: string; type: string; bytes: Uint8Array }[]): Promise<void> {
  const transfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) dt.items.add(new File([new Uint8Array(f.data)], f.name, { type: f.type }));
    return dt;
  }, files.map((f) => ({ name: f.name, type: f.type, data: [...f.bytes] })));
  await page.dispatchEvent('[aria-label="Training images"]', 'drop', { dataTransfer: transfer });
}

/** Waits until the Train view's status line matches. */
export async function waitForTraining(page: Page, status: RegExp, timeout = 240_000): Promise<string> {
  const line = page.getByRole('status', { name: 'Training status' });
  await expect.poll(async () => (await line.textContent()) ?? '', { timeout }).toMatch(status);
  return (await line.textContent())!;
}

/** Every key of the studio's IndexedDB model cache (idb-keyval's database in workers/idb-store.ts). */
export const modelCacheKeys = (page: Page): Promise<string[]> =>
  page.evaluate(() => new Promise<string[]>((resolve, reject) => {
    const open = indexedDB.open('clip-diffusion-web');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const request = open.result.transaction('model-cache').objectStore('model-cache').getAllKeys();
      request.onsuccess = () => (resolve(request.result.map(String)), open.result.close());
      request.onerror = () => reject(request.error);
    };
  }));

/** A model's row in the models panel; its data-state is the cache state (absent, partial, verified, …). */
export const modelRow = (page: Page, label: string) => page.getByRole('listitem', { name: label, exact: true });

export const modelState = (page: Page, label: string): Promise<string | null> => modelRow(page, label).getAttribute('data-state');

/** Presses Download on a model's row and waits until the model is verified. */
export async function downloadModel(page: Page, label: string, timeout = 180_000): Promise<void> {
  await page.getByRole('button', { name: `Download ${label}` }).click();
  await expect.poll(() => modelState(page, label), { timeout }).toBe('verified');
}
