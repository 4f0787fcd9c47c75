import { beforeAll, describe, expect, it } from 'vitest';
import { buildDemoPack, type DemoPack } from '../../src/models/demo/index';
import { defaultSettings, generate, INIT_LOSS_NOTICE, loadModels, prepareJob, type GenerationEvent, type GenerationSettings, type LoadedModels, type LoadModelsOptions } from '../../src/pipeline/index';
import { wasmRuntime } from '../helpers/ort';

/** 3 DDIM steps, 4 cutouts run as 2 sub-batches of 2: seconds on wasm. */
const FAST: GenerationSettings = { ...defaultSettings, prompts: ['a lighthouse at dusk:2', 'blurry:-0.5'], sampling: 'ddim10', skipTimesteps: 7, cutn: 4, cutnBatches: 1, seed: 3 };

describe('generate with the demo pack', () => {
  let pack: DemoPack;
  /** The demo pack's models on the wasm EP for one test, disposed after it. */
  const withModels = async (options: LoadModelsOptions, use: (models: LoadedModels) => Promise<void>): Promise<void> => {
    const models = loadModels(wasmRuntime(), pack, options);
    try {
      await use(models);
    } finally {
      await models.dispose();
    }
  };
  let first: Uint8ClampedArray | undefined;
  beforeAll(() => {
    pack = buildDemoPack();
  });

  it('gives the same image for the same seed, another for another seed, with step progress and previews', async () => {
    await withModels({ maxCutoutsPerRun: 2 }, async (models) => {
      const events: GenerationEvent[] = [];
      const [a] = await generate(FAST, models, { onProgress: (e) => events.push(e), previewEvery: 2 });
      const [b] = await generate(FAST, models);
      const [c] = await generate({ ...FAST, seed: 4 }, models);
      first = a!.rgba;
      expect(a!.rgba).toEqual(b!.rgba);
      expect(a!.rgba).not.toEqual(c!.rgba);
      expect(a!.image.height).toBe(64);
      const steps = events.filter((e) => e.type === 'step');
      expect(steps.map((e) => e.timestep)).toEqual([200, 100, 0]);
      expect(steps.map((e) => e.doneSteps)).toEqual([1, 2, 3]);
      expect(steps.map((e) => e.preview !== undefined)).toEqual([true, false, true]);
      expect(steps.every((e) => e.losses && e.losses.clip.length === 1 && Number.isFinite(e.losses.tv))).toBe(true);
      // The last preview is the final image (the last step's unguided x̂0, spec §9).
      expect(steps[2]!.preview!.rgba).toEqual(a!.rgba);
    });
  }, 120_000);

  it('gives the same image holding one session at a time (the wasm-heap mode)', async () => {
    await withModels({ maxCutoutsPerRun: 2, oneSessionAtATime: true }, async (models) => {
      const [a] = await generate(FAST, models);
      expect(first).toBeDefined();
      expect(a!.rgba).toEqual(first);
    });
  }, 120_000);

  it('gives the same image with one copy of the UNet (its guidance graph makes the model call too), opening no forward-only session', async () => {
    await withModels({ maxCutoutsPerRun: 2, oneUnetCopy: true }, async (models) => {
      const kinds: string[] = [];
      const watched: LoadedModels = { ...models, session: (spec) => (kinds.push(spec.kind), models.session(spec)) };
      const [a] = await generate(FAST, watched);
      expect(kinds).not.toContain('unet');
      expect(kinds).toContain('unet_guided');
      expect(first).toBeDefined();
      expect(a!.rgba).toEqual(first);
    });
  }, 120_000);

  it("upscales with SwinIR when asked, reports tiles, honours batch_size and runs the init image's LPIPS term (a notice says it is off without LPIPS)", async () => {
    const init = { width: 80, height: 64, data: new Uint8ClampedArray(80 * 64 * 4).fill(200) };
    const settings = { ...FAST, sampling: 'ddim5', skipTimesteps: 3, initImage: init };
    // LPIPS is read when the term first runs, once: never for init_scale 0.
    let reads = 0;
    const counted = { ...pack, lpips: () => (reads++, pack.lpips()) };
    const models = loadModels(wasmRuntime(), counted);
    try {
      await generate({ ...settings, initScale: 0 }, models);
      expect(reads).toBe(0);
      const events: GenerationEvent[] = [];
      const images = await generate({ ...settings, batchSize: 2, upscale: 'M' }, models, { onProgress: (e) => events.push(e) });
      expect(reads).toBe(1);
      expect(images.map((i) => [i.sample, i.batchIndex])).toEqual([[0, 0], [0, 1]]);
      expect(images[0]!.sr!.image.height).toBe(256);
      expect(images[0]!.rgba).not.toEqual(images[1]!.rgba);
      expect(events.filter((e) => e.type === 'upscale').length).toBeGreaterThanOrEqual(2);
      expect(events.filter((e) => e.type === 'notice')).toEqual([]);
      const steps = events.filter((e) => e.type === 'step');
      expect(steps.length).toBe(4);
      for (const step of steps) expect(step.losses!.init).toBeGreaterThan(0);
      await generate(settings, models);
      expect(reads).toBe(1);
    } finally {
      await models.dispose();
    }
    const { lpips, ...withoutLpips } = pack;
    expect(lpips).toBeDefined();
    const without = loadModels(wasmRuntime(), withoutLpips);
    try {
      const events: GenerationEvent[] = [];
      await generate(settings, without, { onProgress: (e) => events.push(e) });
      expect(events[0]).toEqual({ type: 'notice', message: INIT_LOSS_NOTICE });
      expect(events.filter((e) => e.type === 'step' && e.losses?.init !== undefined)).toEqual([]);
    } finally {
      await without.dispose();
    }
  }, 180_000);

  it('runs DDPM (a plain step count) and image prompts (cutn targets each, weights / |Σw|)', async () => {
    await withModels({}, async (models) => {
      const picture = { width: 80, height: 70, data: Uint8ClampedArray.from({ length: 80 * 70 * 4 }, (_, i) => (i * 7) % 256) };
      const settings = { ...FAST, sampling: '25', skipTimesteps: 22, prompts: [], imagePrompts: [{ image: picture, weight: 1 }] };
      const job = await prepareJob(settings, models);
      expect(job.guides[0]!.targets.embeds.shape).toEqual([4, 32]);
      expect(Array.from(job.guides[0]!.targets.weights.data as Float32Array)).toEqual([0.25, 0.25, 0.25, 0.25]);
      const events: GenerationEvent[] = [];
      const [image] = await generate(settings, models, { onProgress: (e) => events.push(e) });
      expect(events.filter((e) => e.type === 'step').map((e) => e.timestep)).toEqual([83, 42, 0]);
      expect(image!.rgba.some((v, i) => i % 4 !== 3 && v !== 0 && v !== 255)).toBe(true);
    });
  }, 120_000);

  it('stops inside a step when the signal is aborted', async () => {
    const models = loadModels(wasmRuntime(), pack, { maxCutoutsPerRun: 1 });
    const controller = new AbortController();
    let runs = 0;
    const counting = { ...models, session: async (spec: Parameters<typeof models.session>[0]) => {
      const s = await models.session(spec);
      return spec.kind === 'guidance' ? { run: (f: Parameters<typeof s.run>[0]) => ((runs += 1) === 2 && controller.abort(), s.run(f)) } : s;
    } };
    try {
      await expect(generate(FAST, counting, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
      expect(runs).toBe(2);
    } finally {
      await models.dispose();
    }
  }, 120_000);
});
