import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemoPack } from '../../src/models/demo/index';
import { guidanceTerms, type Guide } from '../../src/models/guidance/index';
import { defaultSettings, generate, loadModels, type GenerationEvent, type GenerationSettings, type LoadedModels } from '../../src/pipeline/index';
import { hostTensor } from '../../src/runtime';
import { applyScaleMultiplier, createRng, createSchedule } from '../../src/sampling/index';
import { wasmRuntime } from '../helpers/ort';

/** 3 DDIM steps, 4 augmented cutouts in one batch: seconds on wasm. */
const FAST: GenerationSettings = { ...defaultSettings, prompts: ['a lighthouse at dusk'], sampling: 'ddim10', skipTimesteps: 7, cutn: 4, cutnBatches: 2, seed: 5 };

const relError = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let [num, den] = [0, 0];
  for (let i = 0; i < a.length; i++) [num, den] = [Math.max(num, Math.abs(a[i]! - b[i]!)), Math.max(den, Math.abs(b[i]!))];
  return num / den;
};

describe('several CLIP guides (the demo ViT at 64 px and the demo ResNet at 96 px)', () => {
  let models: LoadedModels;
  let alone: LoadedModels;
  beforeAll(() => {
    models = loadModels(wasmRuntime(), buildDemoPack(['demo-vit', 'demo-rn']));
    alone = loadModels(wasmRuntime(), buildDemoPack(['demo-vit']));
  });
  afterAll(async () => {
    await models.dispose();
    await alone.dispose();
  });

  it('each guide cuts at its own size, and the gradient is the weighted sum of each guide alone (same streams)', async () => {
    expect(models.cutSizes).toEqual([64, 96]);
    const size = 64;
    const geometry = { height: size, width: size, cutn: 4 };
    const rng = createRng(9);
    const x = rng.fillNormal(new Float32Array(3 * size * size)).map((v) => 0.6 * v);
    const predXstart = x.map((v) => Math.tanh(v));
    const targets = { embeds: hostTensor('float32', [1, 32], rng.fillNormal(new Float32Array(32))), weights: hostTensor('float32', [1], Float32Array.of(1)) };
    const guide = async (index: number, weight: number, seed: number): Promise<Guide> => {
      const session = await models.session({ kind: 'guidance', guide: index, cutn: 4, targets: 1, lossFn: 'spherical', augment: true });
      return { run: (feeds) => session.run(feeds), cutSize: models.cutSizes[index]!, targets, rng: createRng(seed), weight };
    };
    const terms = async (guides: Guide[]) => guidanceTerms({
      schedule: createSchedule({ steps: 1000, respacing: 'ddim10' }), geometry, cutnBatches: 2, skipAugs: false,
      scales: applyScaleMultiplier({ clipGuidanceScale: 5000, tvScale: 100, rangeScale: 150, saturationScale: 10, initScale: 0 }, 50), guides, clampGrad: true,
    }, x, predXstart, 5);
    const both = await terms([await guide(0, 0.7, 1), await guide(1, 1.8, 2)]);
    const vit = await terms([await guide(0, 0.7, 1)]);
    const rn = await terms([await guide(1, 1.8, 2)]);
    const other = await terms([await guide(0, 0, 1)]);
    expect(both.clipLosses).toEqual([...vit.clipLosses, ...rn.clipLosses]);
    expect(both.tvLoss).toBe(vit.tvLoss);
    const sum = vit.xInGrad.map((v, i) => v + rn.xInGrad[i]! - other.xInGrad[i]!);
    const clipPart = (t: typeof both) => t.xInGrad.map((v, i) => v - other.xInGrad[i]!);
    // Both guides pull: neither part is negligible against the other.
    expect(Math.min(Math.hypot(...clipPart(vit)), Math.hypot(...clipPart(rn)))).toBeGreaterThan(0.05 * Math.hypot(...clipPart(both)));
    expect(relError(both.xInGrad, sum)).toBeLessThan(1e-5);
  }, 120_000);

  it('a guide of weight 0 leaves the image as the first guide alone makes it; a weighted one changes it', async () => {
    const losses: (readonly number[])[] = [];
    const onProgress = (e: GenerationEvent) => void (e.type === 'step' && e.losses && losses.push(e.losses.clip));
    const [reference] = await generate(FAST, alone);
    const [silent] = await generate({ ...FAST, guideWeights: [1, 0] }, models, { onProgress });
    const [guided] = await generate({ ...FAST, guideWeights: [1, 2] }, models);
    expect(silent!.rgba).toEqual(reference!.rgba);
    expect(guided!.rgba).not.toEqual(reference!.rgba);
    expect(losses.every((l) => l.length === 4 && l.every(Number.isFinite))).toBe(true);
    await expect(generate({ ...FAST, guideWeights: [1] }, models)).rejects.toThrow('1 guide weight given for 2 CLIP models');
  }, 120_000);
});
