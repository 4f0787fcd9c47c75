import { availableParallelism } from 'node:os';
import { urlWithSettings } from '../src/ui/url-settings';
import { openStudio, serveApp } from '../test/e2e/browser';
import type { Benchmark, Figure } from './run';
import { sampleChromiumMemory } from './studio/chromium-memory';
import { DEMO_JOB } from './studio/demo-job';
import { benchFullSize, FULL_SIZE_JOB } from './studio/full-size';
import { ms, visit } from './studio/visit';

/** The demo pack: a cold visit (fresh profile) and a cached one, each to the end of the 6-step job. */
async function benchDemo(appUrl: string): Promise<Record<string, Figure>> {
  const studio = await openStudio(appUrl, { webgpu: false });
  try {
    const link = urlWithSettings(appUrl, DEMO_JOB);
    const cold = await visit(studio.page, link, { untilDone: true, timeoutMs: 600_000 });
    const warm = await visit(studio.page, link, { untilDone: true, timeoutMs: 600_000 });
    return {
      'demo cold: load → first step': ms(cold.firstStepMs), 'demo cold: load → first preview': ms(cold.firstPreviewMs), 'demo cold: load → done (6 steps)': ms(cold.doneMs!),
      'demo cached: load → first step': ms(warm.firstStepMs), 'demo cached: load → first preview': ms(warm.firstPreviewMs), 'demo cached: load → done (6 steps)': ms(warm.doneMs!),
    };
  } finally {
    await studio.close();
  }
}

const NOTES = [
  'Headless Debian Chromium without a GPU (wasm EP, threads as the page picks them: min(4, cores) when cross-origin isolated). Times run from the start of navigation and include Playwright choosing the models (full-size) and pressing Generate once the page allows it. Cold: the first visit after the checkpoints are cached (full-size) or a fresh profile (demo): every graph built, serialised and stored in IndexedDB. Cached: the page loaded again in the same profile (new worker, new sessions), graphs read from IndexedDB (checkpoint weights are still read and widened from the cache; the demo weights rebuilt).',
  `demo settings: ddim8, skip 2 (6 steps), cutn 4 × 1 batch, preview every 2, upscale off, 64² demo pack. Full-size settings: ${FULL_SIZE_JOB.sampling}, skip ${FULL_SIZE_JOB.skipTimesteps} (2 steps), cutn ${FULL_SIZE_JOB.cutn} × ${FULL_SIZE_JOB.cutnBatches} batch, one image, preview every step, seed-default guidance scales; the cold visit stops at its first preview with upscale off; the cached visit runs to the end with upscale M (SwinIR-M only runs after the last step, so the step figures are those of upscale off) and SwinIR-M ×4 is timed from the last step to Done (graph build, session, the 256² image as the seed runs it, PNG encoding).`,
  'The worker holds one session at a time for full-size models (workers/generation.ts: the UNet, its VJP graph and the ViT-B/16 guidance graph do not fit one 4 GiB wasm heap together), so each step creates its sessions again.',
  'Chromium RSS: the sum over every process the bench launched, and the largest single process (the renderer holding the page, its engine worker and the wasm heap), sampled every second.',
  'Full-size figures take minutes on 2 cores; loadAverageAtStart says how busy the machine was when the run began (the committed run was taken with nothing else running).',
  "The MatMul probes around this bench run in the bench's Node process on onnxruntime-web's wasm EP with the page's threads, the nearest Node has to Chromium's wasm EP: they say whether the machine was quiet, not Chromium's own rate.",
];

const bench: Benchmark = {
  description: 'studio page load → first step / first preview with the models cached, demo pack and full-size random-weight models (art UNet 256², CLIP ViT-B/16, SwinIR-M), Chromium wasm EP',
  backend: { backend: 'wasm', threads: Math.min(4, availableParallelism()) },
  async run(args) {
    const { server, url } = await serveApp();
    const memory = sampleChromiumMemory();
    try {
      const demo = await benchDemo(url);
      memory.reset();
      const full = args.includes('--demo-only') ? { figures: {}, notes: ['full-size part skipped (--demo-only)'] } : await benchFullSize(url, memory);
      const threads = await threadsOf(url);
      return { threads, figures: { ...demo, ...full.figures }, notes: [...NOTES, ...full.notes] };
    } finally {
      memory.stop();
      await server.close();
    }
  },
};

/** The wasm threads the page gives onnxruntime (workers/engine.worker.ts: min(4, cores) when cross-origin isolated). */
async function threadsOf(url: string): Promise<number> {
  const studio = await openStudio(url, { webgpu: false });
  try {
    return await studio.page.evaluate(() => (self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1));
  } finally {
    await studio.close();
  }
}

export default bench;
