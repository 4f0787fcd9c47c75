import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { demoVocabularyGz } from '../../src/models/demo/index';
import { SEED_DEFAULTS, type StudioSettings } from '../../src/ui/settings';
import { urlWithSettings } from '../../src/ui/url-settings';
import { openStudio, type Studio } from '../../test/e2e/browser';
import { packOf, serveModels, type HostedFile, type HostedModel } from '../../test/e2e/model-server';
import { modelCacheKeys } from '../../test/e2e/studio-page';
import { fixturePath, fixturesPresent } from '../../test/fixtures';
import type { Figure } from '../run';
import { writeFullSizeCheckpoints, type WrittenModel } from './checkpoints';
import type { MemoryPeak } from './chromium-memory';
import { ms, s, visit } from './visit';

/** Guided but small enough to finish on wasm: 2 DDIM steps (ddim4, skip 2), 4 cutouts in one batch, a preview every step. */
export const FULL_SIZE_JOB: StudioSettings = {
  ...SEED_DEFAULTS, prompts: [{ text: 'a lighthouse in a storm', weight: 1 }], sampling: 'ddim4', skipTimesteps: 2, cutn: 4, cutnBatches: 1, previewEvery: 1, upscale: 'off', seed: 7,
};
const STEPS = 2;

/** One full-size step on 2 wasm threads takes minutes (bench/results/sample-step.json): generous limits, the bench never asserts speed. */
const STEP_TIMEOUT = 20 * 60_000;
const DOWNLOAD_TIMEOUT = 15 * 60_000;

/** CLIP's BPE vocabulary: the fixtures' copy of openai/CLIP's file, else the demo pack's synthetic one (same tokenizer shapes). */
function vocabulary(dir: string) {
  const name = 'bpe_simple_vocab_16e6.txt.gz';
  if (fixturesPresent) return { name, path: fixturePath('clip', name), bytes: new Uint8Array(readFileSync(fixturePath('clip', name))), real: true };
  const bytes = demoVocabularyGz();
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return { name, path, bytes, real: false };
}

/** The written files as the model server hosts them, and the pack manifest that lists them. */
function hostedPack(models: readonly WrittenModel[]): HostedFile[] {
  const hosted: HostedModel[] = models.map((m) => ({
    id: m.id, kind: m.kind, label: m.label,
    files: m.files.map((f) => ({ name: f.name, role: f.role, sha256: f.sha256, bytes: new Uint8Array(readFileSync(f.path)) })),
  }));
  const manifest = { ...packOf(hosted), name: 'Full-size random-weight models' };
  const files: HostedFile[] = hosted.flatMap((m) => m.files);
  return [...files, { name: 'manifest.json', contentType: 'application/json', bytes: new TextEncoder().encode(JSON.stringify(manifest)) }];
}

/** Downloads every model through the models panel (not timed as a page load: this is the one-time setup). */
async function downloadAll(page: Page, models: readonly WrittenModel[]): Promise<void> {
  for (const m of models) {
    const row = page.getByRole('listitem', { name: m.label, exact: true });
    await row.waitFor();
    await page.getByRole('button', { name: `Download ${m.label}` }).click();
    await page.waitForFunction((label) => {
      const el = [...document.querySelectorAll('li[data-state]')].find((li) => li.getAttribute('aria-label') === label);
      if (el?.querySelector('[role="alert"]')) throw new Error(`${label}: ${el.querySelector('[role="alert"]')!.textContent}`);
      return el?.getAttribute('data-state') === 'verified';
    }, m.label, { timeout: DOWNLOAD_TIMEOUT, polling: 1000 });
  }
}

/** The cached models (the radio is enabled once the page has read the cache state; firstOf picks ours, the only ones in the pack). */
/** workers/generation.ts's message while it reads the cached checkpoints. */
const LOADING = 'Loading the models from the cache…';

const useCachedModels = (page: Page) => page.getByRole('radio', { name: /^Cached models/ }).check({ timeout: 120_000 });

const graphEntries = async (page: Page) => (await modelCacheKeys(page)).filter((k) => k.startsWith('graph/') && k.endsWith('/entry')).length;

const storageUsage = (page: Page) => page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);

export interface FullSizeResult {
  readonly figures: Record<string, Figure>;
  readonly notes: string[];
}

interface Sampler {
  reset(): MemoryPeak;
}

const mib = (value: number): Figure => ({ value, unit: 'MiB' });

/** Progress on stderr: the full-size part runs for many minutes. */
const log = (what: string) => console.error(`[studio bench ${new Date().toISOString().slice(11, 19)}] ${what}`);

async function timeVisits(studio: Studio, packUrl: string, models: readonly WrittenModel[], memory: Sampler) {
  const { page } = studio;
  const figures: Record<string, Figure> = {};
  const t0 = performance.now();
  log('downloading the full-size checkpoints into IndexedDB');
  await downloadAll(page, models);
  log('cold visit');
  figures['full-size setup: download + verify all three into IndexedDB'] = s(performance.now() - t0);
  figures['full-size setup: Chromium peak RSS (all processes)'] = mib(memory.reset().totalMiB);

  const cold = await visit(page, urlWithSettings(packUrl, FULL_SIZE_JOB), { prepare: useCachedModels, loadingText: LOADING, untilDone: false, timeoutMs: STEP_TIMEOUT });
  figures['full-size cold: load → checkpoints read from IndexedDB'] = ms(cold.modelsLoadedMs!);
  figures['full-size cold: load → first step'] = ms(cold.firstStepMs);
  figures['full-size cold: load → first preview'] = ms(cold.firstPreviewMs);
  const coldMemory = memory.reset();
  figures['full-size cold: graphs cached after the visit'] = { value: await graphEntries(page), unit: 'graphs' };
  figures['full-size cold: Chromium peak RSS (all processes)'] = mib(coldMemory.totalMiB);
  figures['full-size cold: Chromium peak RSS (largest process)'] = mib(coldMemory.largestMiB);

  log('cached visit');
  // Upscaling M only runs after the last step, so it leaves the step figures as they would be with it off.
  const cached = await visit(page, urlWithSettings(packUrl, { ...FULL_SIZE_JOB, upscale: 'M' }), { prepare: useCachedModels, loadingText: LOADING, untilDone: true, steps: STEPS, timeoutMs: STEP_TIMEOUT });
  figures['full-size cached: load → checkpoints read from IndexedDB'] = ms(cached.modelsLoadedMs!);
  figures['full-size cached: load → first step'] = ms(cached.firstStepMs);
  figures['full-size cached: load → first preview'] = ms(cached.firstPreviewMs);
  figures['full-size cached: step 1 → step 2'] = ms(cached.lastStepMs! - cached.firstStepMs);
  figures['full-size cached: SwinIR-M ×4 of the 256² result (last step → done)'] = ms(cached.doneMs! - cached.lastStepMs!);
  const cachedMemory = memory.reset();
  figures['full-size cached: Chromium peak RSS (all processes)'] = mib(cachedMemory.totalMiB);
  figures['full-size cached: Chromium peak RSS (largest process)'] = mib(cachedMemory.largestMiB);
  figures['full-size: IndexedDB usage (checkpoints + graphs)'] = mib(Math.round((await storageUsage(page)) / 2 ** 20));
  return { figures, losses: cached.losses ?? '' };
}

/**
 * The full-size part: writes the three checkpoints in their original formats with seeded weights
 * under a temp folder, serves them as a `?pack=`, downloads them once, then times a cold visit
 * (graphs built and cached) and a cached visit (graphs read from IndexedDB).
 */
export async function benchFullSize(appUrl: string, memory: Sampler): Promise<FullSizeResult> {
  const dir = mkdtempSync(join(tmpdir(), 'studio-full-size-'));
  try {
    log(`writing the full-size checkpoints under ${dir}`);
    const t0 = performance.now();
    const vocab = vocabulary(dir);
    const models = writeFullSizeCheckpoints(dir, vocab);
    const writeMs = performance.now() - t0;
    const server = await serveModels(hostedPack(models));
    const packUrl = `${appUrl}?pack=${encodeURIComponent(`${server.origin}/manifest.json`)}`;
    const studio = await openStudio(packUrl, { webgpu: false });
    try {
      const visits = await timeVisits(studio, packUrl, models, memory);
      const figures = { 'full-size setup: write the seeded checkpoints (Node)': s(writeMs), ...visits.figures };
      const sizes = models.map((m) => `${m.files[0]!.name} ${(m.files[0]!.size / 1e6).toFixed(1)} MB, ${(m.parameters / 1e6).toFixed(1)} M parameters`).join('; ');
      return { figures, notes: [`full-size models (seeded random weights, written in the original formats at bench time): ${sizes}; CLIP's BPE vocabulary: ${vocab.real ? "openai/CLIP's file (fixtures copy)" : "the demo pack's synthetic one (fixtures absent)"}`, `full-size cached visit, loss terms at the end: ${visits.losses}`] };
    } finally {
      await studio.close();
      await server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
