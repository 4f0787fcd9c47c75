import { serialize } from '../src/graph';
import { SEED_DEFAULTS } from '../src/ui/settings';
import { urlWithSettings } from '../src/ui/url-settings';
import { openStudio, serveApp } from '../test/e2e/browser';
import { serveModels, type HostedFile } from '../test/e2e/model-server';
import { clipGuidance, FULL_SIZE, swinir, TINY, unetForward, unetGuided, type BenchGraph, type BenchModelSet } from './full-size-graphs';
import { adapterOf, encodeFeeds, timeInPage, type AdapterReport, type ModelTimes } from './gpu/page-runner';
import type { Benchmark, BenchResult, Figure } from './run';
import { DEMO_JOB } from './studio/demo-job';
import { ms, visit } from './studio/visit';

const USAGE = '--software: time on a software adapter (SwiftShader) instead of refusing it; --tiny: the demo pack\'s models (what a software adapter can run); --repeats N (default 3)';

/** Cutouts per guidance run, as the studio runs them: cutn 30 × 4 batches are 12 runs of 10 (seed defaults). */
const SUB_BATCH = 10;
const GUIDANCE_RUNS = (SEED_DEFAULTS.cutn / SUB_BATCH) * SEED_DEFAULTS.cutnBatches;

const GRAPHS: Record<string, (set: BenchModelSet) => BenchGraph> = {
  unet_forward: (set) => unetForward(set),
  unet_forward_vjp: (set) => unetGuided(set),
  clip_guidance_10: (set) => clipGuidance(SUB_BATCH, set),
  swinir_m: (set) => swinir(set),
};

function hosted(set: BenchModelSet): HostedFile[] {
  return Object.entries(GRAPHS).flatMap(([name, build]) => {
    const { graph, feeds } = build(set);
    return [
      { name: `${name}.onnx`, bytes: serialize(graph) },
      { name: `${name}.feeds.json`, bytes: new TextEncoder().encode(JSON.stringify(encodeFeeds(feeds))), contentType: 'application/json' },
    ];
  });
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const target = (figure: Figure, limitMs: number, applies: boolean): Figure => (applies ? { ...figure, target: `<= ${limitMs}`, pass: figure.value <= limitMs } : figure);

function figuresOf(times: Record<string, ModelTimes>, hardware: boolean): Record<string, Figure> {
  const run = (name: string) => Math.round(median(times[name]!.runsMs));
  const figures: Record<string, Figure> = {};
  for (const name of Object.keys(GRAPHS)) {
    figures[`${name}_ms`] = ms(run(name));
    figures[`${name}_session_create_ms`] = ms(Math.round(times[name]!.createMs));
  }
  // The step as the studio runs it on WebGPU (one UNet copy): the model call and the VJP both through
  // the guidance graph, and CLIP's gradient for every sub-batch; beside it, with a forward-only session.
  const clip = GUIDANCE_RUNS * run('clip_guidance_10');
  figures.seed_default_step_ms = target(ms(2 * run('unet_forward_vjp') + clip), 2000, hardware);
  figures.seed_default_step_with_forward_session_ms = ms(run('unet_forward') + run('unet_forward_vjp') + clip);
  figures.swinir_m_ms = target(figures.swinir_m_ms!, 1000, hardware);
  return figures;
}

const describeAdapter = (a: AdapterReport): string =>
  `${[a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ') || 'unnamed'}${a.fallback ? ' (software fallback adapter)' : ''}; features: ${a.features.join(', ') || 'none'}; limits: ${Object.entries(a.limits).map(([k, v]) => `${k} ${v}`).join(', ')}`;

const bench: Benchmark = {
  description: "the seed's models on WebGPU in Chromium: UNet forward and forward+VJP, CLIP's guidance gradient (10 cutouts), SwinIR-M one tile, a seed-default step from those parts, and page load → first step",
  async run(args): Promise<BenchResult> {
    const software = args.includes('--software');
    const set = args.includes('--tiny') ? TINY : FULL_SIZE;
    const repeatsAt = args.indexOf('--repeats');
    const repeats = repeatsAt >= 0 ? Number(args[repeatsAt + 1]) : 3;
    if (!(repeats >= 1)) throw new Error(`usage: npm run bench -- gpu [${USAGE}]`);
    const { server: app, url } = await serveApp();
    const studio = await openStudio(url, { webgpu: software || 'hardware' });
    try {
      const adapter = await adapterOf(studio.page);
      if (!adapter) return { figures: {}, skipped: 'Chromium found no WebGPU adapter at all (no GPU, or its driver is blocked); on a machine with a GPU run it there, or pass --software --tiny to time SwiftShader' };
      if (adapter.fallback && !software) return { figures: {}, skipped: `the only WebGPU adapter is a software one (${describeAdapter(adapter)}); pass --software --tiny to time it anyway` };
      console.log(`adapter: ${describeAdapter(adapter)}\nbuilding ${set.name}`);
      const models = await serveModels(hosted(set));
      const times: Record<string, ModelTimes> = {};
      try {
        for (const name of Object.keys(GRAPHS)) {
          console.log(`timing ${name}`);
          times[name] = await timeInPage(studio.page, models.origin, name, repeats);
        }
      } finally {
        await models.close();
      }
      const link = urlWithSettings(url, DEMO_JOB);
      await visit(studio.page, link, { untilDone: true, timeoutMs: 900_000 });
      const warm = await visit(studio.page, link, { untilDone: false, timeoutMs: 900_000 });
      return {
        figures: { ...figuresOf(times, !adapter.fallback), 'demo pack, warm cache: load → first step': ms(warm.firstStepMs) },
        ...(adapter.fallback ? { variant: 'swiftshader' } : {}),
        notes: [
          `adapter: ${describeAdapter(adapter)}`,
          `models: ${set.name}, seeded weights; each graph's session made in the page with onnxruntime-web's WebGPU EP, run once, then ${repeats} times (the median is the figure; outputs read back to the CPU, so a run includes its GPU work)`,
          `seed_default_step_ms = 2 × unet_forward_vjp (the model call with a zero cotangent, then the VJP: the studio's one-UNet-copy layout on WebGPU) + ${GUIDANCE_RUNS} × clip_guidance_10 (cutn ${SEED_DEFAULTS.cutn} × ${SEED_DEFAULTS.cutnBatches} batches in sub-batches of ${SUB_BATCH}); seed_default_step_with_forward_session_ms has unet_forward in place of one VJP (the UNet's weights held twice); the targets (step ≤ 2 s, SwinIR-M ≤ 1 s) apply to a hardware adapter only`,
          'page load → first step: the demo pack on WebGPU in the same profile after one full visit (graphs cached in IndexedDB)',
          "the MatMul probes run in the bench's Node process on the CPU: they say whether the machine was quiet, not the GPU's rate",
        ],
      };
    } finally {
      await studio.close();
      await app.close();
      // Chromium's processes take seconds to exit: the runner's second MatMul probe comes after them.
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  },
};

export default bench;
