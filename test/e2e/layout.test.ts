import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations } from './axe';
import { openStudio, serveApp, type Studio } from './browser';
import { fillJob, waitForJob } from './studio-page';

/** The page's layout (issue 16): side by side on a desktop, one column on a phone, light and dark themes. */
describe('studio layout and themes', () => {
  let app: PreviewServer;
  let studio: Studio;
  beforeAll(async () => {
    let url: string;
    ({ server: app, url } = await serveApp());
    studio = await openStudio(url, { webgpu: false });
    await studio.page.getByRole('button', { name: 'Generate' }).waitFor();
  });
  afterAll(async () => {
    await studio?.close();
    await app?.close();
  });

  const box = async (name: string) => (await studio.page.locator(name).first().boundingBox())!;
  const horizontalOverflow = () => studio.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

  it('puts the settings beside the canvas at 1280×800', async () => {
    await studio.page.setViewportSize({ width: 1280, height: 800 });
    const [form, view] = [await box('form.prompt-form'), await box('section.progress')];
    expect(view.x).toBeGreaterThanOrEqual(form.x + form.width);
    expect(view.y).toBeLessThan(form.y + form.height);
    expect(await horizontalOverflow()).toBe(0);
  });

  it('stacks the settings above the canvas at 390×844 with no horizontal scroll, a finished job included', async () => {
    const { page } = studio;
    await page.setViewportSize({ width: 390, height: 844 });
    const [form, view] = [await box('form.prompt-form'), await box('section.progress')];
    expect(view.y).toBeGreaterThanOrEqual(form.y + form.height);
    expect(form.width).toBeLessThanOrEqual(390);
    await fillJob(page, { prompt: 'a lighthouse on a narrow screen', seed: 5 });
    await page.getByRole('button', { name: 'Generate' }).click();
    expect(await waitForJob(page)).toBe('Done');
    expect(await horizontalOverflow()).toBe(0);
  });

  it.each(['light', 'dark'] as const)('has no serious or critical axe-core violations in the %s theme: the page with a finished job, the models panel', async (scheme) => {
    const { page } = studio;
    await page.emulateMedia({ colorScheme: scheme });
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(await seriousViolations(page)).toEqual([]);
    expect(await seriousViolations(page, 'section.models')).toEqual([]);
    // The check can fail: an image without a text alternative is a critical violation.
    await page.evaluate(() => document.body.insertAdjacentHTML('beforeend', '<div id="axe-probe"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></div>'));
    expect((await seriousViolations(page, '#axe-probe')).map((v) => v.id)).toEqual(['image-alt']);
    await page.evaluate(() => document.getElementById('axe-probe')?.remove());
  });

  it('follows prefers-color-scheme: dark and light backgrounds and text', async () => {
    const { page } = studio;
    const colours = () => page.evaluate(() => [getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await colours()).toEqual(['rgb(20, 21, 25)', 'rgb(236, 236, 241)']);
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await colours()).toEqual(['rgb(246, 246, 248)', 'rgb(27, 27, 31)']);
  });
});
