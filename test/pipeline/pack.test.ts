import { afterAll, beforeAll, expect, it } from 'vitest';
import { e2eRun, e2eSources } from '../../src/cli/conformance/guidance-e2e';
import { readRefs } from '../../src/cli/conformance/model-checks';
import { groupContext } from '../helpers/conformance';
import {
  defaultSettings, generate, loadModels, loadPackModels, prepareJob,
  type GeneratedImage, type GenerationEvent, type GenerationSettings, type LoadedModels, type ModelSources, type PackSources,
} from '../../src/pipeline/index';
import { describeWithFixtures } from '../fixtures';
import { wasmRuntime } from '../helpers/ort';
import { convertFixturePack, PACK_OPTIONS, packModel, type FixturePack } from './pack-fixture';

/** The tolerance: max |pack − checkpoint| ≤ 1e-5 · max(1, max |checkpoint|) (same graphs, same weights; only float summation order may differ). */
const REL = 1e-5;
const relError = (a: Float32Array, r: Float32Array): number => {
  let [d, m] = [0, 0];
  r.forEach((v, i) => ((d = Math.max(d, Math.abs(a[i]! - v))), (m = Math.max(m, Math.abs(v)))));
  return d / Math.max(1, m);
};

/** 3 DDIM steps, cutn 4 = two sub-batches of the pack's C = 2, 3 prompts padded to T = 6, SwinIR M. */
const SETTINGS: GenerationSettings = {
  ...defaultSettings, prompts: ['a lighthouse at dusk:2', 'oil painting', 'blurry:-0.5'], sampling: 'ddim10', skipTimesteps: 7,
  cutn: 4, cutnBatches: 2, skipAugs: true, saturationScale: 10, seed: 5, upscale: 'M',
};

function expectClose(pack: GeneratedImage, checkpoint: GeneratedImage): void {
  expect(pack.image.height).toBe(32);
  expect(relError(pack.image.data, checkpoint.image.data)).toBeLessThan(REL);
  expect(pack.sr!.image.height).toBe(128);
  expect(relError(pack.sr!.image.data, checkpoint.sr!.image.data)).toBeLessThan(REL);
}

describeWithFixtures('generation from a pack of converted ONNX files', () => {
  let converted: FixturePack;
  let pack: PackSources;
  let packModels: LoadedModels;
  let checkpointModels: LoadedModels;
  let sources: ModelSources;

  const packWith = (part: Partial<PackSources>): PackSources => ({ ...pack, ...part });

  beforeAll(async () => {
    converted = await convertFixturePack({ augment: false });
    pack = { unet: packModel(converted.unet, 'UNet A pack'), clip: packModel(converted.clip, 'CLIP pack'), vocabulary: converted.vocabulary, swinir: { M: packModel(converted.swinir, 'SwinIR-M pack') } };
    const ctx = await groupContext('guidance');
    sources = await e2eSources(ctx.dir, (await e2eRun(ctx, await readRefs(ctx))).files);
    packModels = await loadPackModels(wasmRuntime(), pack);
    // The checkpoint path with the pack's sub-batch: cutn 4 runs as 2 × 2 in both.
    checkpointModels = loadModels(wasmRuntime(), sources, { maxCutoutsPerRun: PACK_OPTIONS.cutn });
  }, 240_000);
  afterAll(async () => {
    await packModels?.dispose();
    await checkpointModels?.dispose();
  });

  it('gives the checkpoint path\'s image and SwinIR result for the same settings and seed', async () => {
    expect(packModels.maxCutoutsPerRun).toBe(PACK_OPTIONS.cutn);
    const losses = (into: number[]) => ({ onProgress: (e: GenerationEvent) => void (e.type === 'step' && e.losses && into.push(...e.losses.clip, e.losses.tv, e.losses.range, e.losses.saturation)) });
    const [packLosses, checkpointLosses]: [number[], number[]] = [[], []];
    const [fromPack] = await generate(SETTINGS, packModels, losses(packLosses));
    const [fromCheckpoint] = await generate(SETTINGS, checkpointModels, losses(checkpointLosses));
    expectClose(fromPack!, fromCheckpoint!);
    // The loss terms too (3 steps × (2 cutn batches + tv, range, saturation)): padded targets add nothing.
    expect(packLosses).toHaveLength(15);
    packLosses.forEach((v, i) => expect(Math.abs(v - checkpointLosses[i]!)).toBeLessThanOrEqual(REL * Math.abs(checkpointLosses[i]!)));
    // The guidance made a difference: without it the image is another one.
    const [unguided] = await generate({ ...SETTINGS, clipGuidanceScale: 0, tvScale: 0, rangeScale: 0, saturationScale: 0 }, packModels);
    expect(relError(unguided!.image.data, fromPack!.image.data)).toBeGreaterThan(1e-3);
  }, 240_000);

  it('runs image prompts through clip_image.onnx and the weight-free cutout graph, as the checkpoint path does', async () => {
    const picture = { width: 40, height: 36, data: Uint8ClampedArray.from({ length: 40 * 36 * 4 }, (_, i) => (i * 7) % 256) };
    const settings = { ...SETTINGS, prompts: ['a lighthouse'], imagePrompts: [{ image: picture, weight: 2 }], upscale: 'off' as const };
    const jobs = [await prepareJob(settings, packModels), await prepareJob(settings, checkpointModels)];
    expect(jobs[0]!.guides[0]!.targets.count).toBe(5);
    expect(relError(jobs[0]!.guides[0]!.targets.embeds.data as Float32Array, jobs[1]!.guides[0]!.targets.embeds.data as Float32Array)).toBeLessThan(REL);
    const [a] = await generate(settings, packModels);
    const [b] = await generate(settings, checkpointModels);
    expect(relError(a!.image.data, b!.image.data)).toBeLessThan(REL);
  }, 240_000);

  it('refuses a job the guidance graph was not converted for, naming C, T, the loss or the augmentations', async () => {
    await expect(prepareJob({ ...SETTINGS, cutn: 3 }, packModels)).rejects.toThrow(/cutn 3 is not a multiple of 2.*C = 2/);
    await expect(prepareJob({ ...SETTINGS, lossFn: 'cos_spherical' }, packModels)).rejects.toThrow(/--loss_fn spherical; this job asks for cos_spherical/);
    await expect(prepareJob({ ...SETTINGS, skipAugs: false }, packModels)).rejects.toThrow(/converted without augmentations/);
    const seven = Array.from({ length: 7 }, (_, i) => `prompt ${i}`);
    await expect(prepareJob({ ...SETTINGS, prompts: seven }, packModels)).rejects.toThrow(/7 targets.*at most 6.*--targets 7/);
    await expect(packModels.session({ kind: 'guidance', guide: 0, cutn: 1, targets: 3, lossFn: 'spherical', augment: false })).rejects.toThrow(/runs 2 cutouts at a time \(C = 2\), not 1/);
    // Six targets fit exactly.
    await expect(prepareJob({ ...SETTINGS, prompts: seven.slice(0, 6) }, packModels)).resolves.toMatchObject({ subBatch: 2 });
  }, 120_000);

  it('refuses a model.json that is corrupt, of the wrong kind, missing a graph or shaped for other sizes', async () => {
    const load = (part: Partial<PackSources>) => loadPackModels(wasmRuntime(), packWith(part));
    const corrupt = { ...pack.unet, modelJson: new TextEncoder().encode('{"kind": "unet", ') };
    await expect(load({ unet: corrupt })).rejects.toThrow(/UNet A pack: model.json is not valid JSON/);
    await expect(load({ unet: packModel(converted.clip, 'swapped') })).rejects.toThrow(/swapped: model.json is of kind "clip", expected 'unet'/);
    await expect(load({ unet: packModel(converted.unet, 'no guided', (j) => void (j.graphs = (j.graphs as { path: string }[]).filter((g) => g.path !== 'unet_guided.onnx'))) })).rejects.toThrow(/lists no graph 'unet_guided.onnx'/);
    const resized = packModel(converted.unet, 'resized', (j) => void ((j.config as { imageSize: number }).imageSize = 64));
    await expect(load({ unet: resized })).rejects.toThrow(/resized: 'unet.onnx' x is \[1, 3, 32, 32\], expected \[1, 3, 64, 64\]/);
    const bigger = packModel(converted.clip, 'CLIP 64', (j) => {
      (j.guidance as { image: unknown }).image = { height: 64, width: 64 };
      (j.graphs as { path: string; inputs: { name: string; shape: number[] }[] }[]).find((g) => g.path === 'clip_guidance.onnx')!.inputs.find((i) => i.name === 'x_in')!.shape = [1, 3, 64, 64];
    });
    await expect(load({ clip: bigger })).rejects.toThrow(/CLIP 64: clip_guidance.onnx was converted for 64×64 images, but UNet A pack makes 32×32; convert clip with --height 32 --width 32/);
    const otherResolution = packModel(converted.clip, 'CLIP 336', (j) => void ((j.architecture as { imageResolution: number }).imageResolution = 336));
    await expect(load({ clip: otherResolution })).rejects.toThrow(/cut_rows is \[2, 1, 224, 32\]: not 2 cutouts at CLIP's resolution 336/);
    const oldLayout = packModel(converted.clip, 'CLIP old', (j) => void ((j.guidance as { augment: boolean }).augment = true));
    await expect(load({ clip: oldLayout })).rejects.toThrow(/CLIP old: 'clip_guidance.onnx' has no cut_tap_source input: an earlier cli convert made it.*convert clip again/);
    const external = packModel(converted.unet, 'external', (j) => void ((j.graphs as { external: string[] }[])[0]!.external = ['unet.onnx.data']));
    await expect(load({ unet: external })).rejects.toThrow(/external data \(unet.onnx.data\)/);
    await expect(load({ swinir: { L: pack.swinir!.M! } })).rejects.toThrow(/a SwinIR-M model .* cannot be SwinIR-L/);
    const noImageEncoder = await load({ clip: packModel(converted.clip, 'text only', (j) => void (j.graphs = (j.graphs as { path: string }[]).filter((g) => g.path !== 'clip_image.onnx'))) });
    const picture = { width: 8, height: 8, data: new Uint8ClampedArray(8 * 8 * 4) };
    await expect(prepareJob({ ...SETTINGS, imagePrompts: [{ image: picture, weight: 1 }] }, noImageEncoder)).rejects.toThrow(/image prompts need the pack's clip_image.onnx/);
    await noImageEncoder.dispose();
  });

  it("cuts an image larger than the pack's SwinIR tile into its tiles, as the checkpoint upscaler tiles it", async () => {
    const image = { channels: 3, height: 48, width: 48, data: Float32Array.from({ length: 3 * 48 * 48 }, (_, i) => ((i * 37) % 101) / 100) };
    const tiles: number[] = [];
    const fromPack = await packModels.upscalers.M!.predict(image, { onProgress: (p) => tiles.push(p.tiles) });
    // 48 pads to 56: tiles of 40 starting at 0, 8 and 16 on each axis, overlap 32 (the CLI's default).
    expect(tiles.at(-1)).toBe(9);
    const fromCheckpoint = await checkpointModels.upscalers.M!.predict(image, { tiling: { tile: 40, overlap: 32 } });
    expect([fromPack.height, fromPack.width]).toEqual([192, 192]);
    expect(relError(fromPack.data, fromCheckpoint.data)).toBeLessThan(REL);
  }, 120_000);

  it("refuses to upscale an image whose padded size is below the pack's SwinIR tile", async () => {
    const upscaler = packModels.upscalers.M!;
    const small = { channels: 3, height: 16, width: 16, data: new Float32Array(3 * 16 * 16).fill(0.5) };
    await expect(upscaler.predict(small)).rejects.toThrow(/converted for 40×40 tiles and cannot run a 24×24 tile.*--tile 24/);
  });
});
