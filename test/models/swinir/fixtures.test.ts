import { afterAll, expect, it } from 'vitest';
import { optimize, opsOffWebGpu } from '../../../src/graph';
import { buildSwinIRGraph, clampUnit, createSwinIRUpscaler, mirrorPad, paddedSize, type SwinIRModel } from '../../../src/models/swinir';
import { hostTensor } from '../../../src/runtime';
import { describeWithFixtures } from '../../fixtures';
import { runGraph, wasmRuntime } from '../../helpers/ort';
import { asImage, loadFixtureModel, ref, relativeError } from './fixture-data';

const TOLERANCE = 1e-4;
const CONFIGS = ['M', 'L'] as const;
const SIZES = ['32x32', '40x56'] as const;

describeWithFixtures('SwinIR against the PyTorch fixtures (seed procedure, fp32)', () => {
  const runtime = wasmRuntime();
  const models = new Map<string, Promise<SwinIRModel>>(CONFIGS.map((c) => [c, loadFixtureModel(c)]));
  const upscalers = CONFIGS.map(async (c) => [c, createSwinIRUpscaler(runtime, await models.get(c)!)] as const);
  afterAll(async () => Promise.all(upscalers.map(async (u) => (await u)[1].dispose())));

  it.each(CONFIGS.flatMap((c) => SIZES.map((s) => [c, s] as const)))('%s %s: padding, output before and after the clamp', async (config, size) => {
    const upscaler = (await upscalers[CONFIGS.indexOf(config)]!)[1];
    const input = asImage(await ref(`${config}.${size}.input`));
    const padded = mirrorPad(input, paddedSize(input.height, 8), paddedSize(input.width, 8));
    expect(padded.data).toEqual((await ref(`${config}.${size}.padded`)).data);
    const output = await upscaler.superResolve(input);
    expect([output.height, output.width]).toEqual([4 * input.height, 4 * input.width]);
    expect(relativeError(output.data, (await ref(`${config}.${size}.output`)).data)).toBeLessThan(TOLERANCE);
    const clamped = clampUnit(output);
    expect(relativeError(clamped.data, (await ref(`${config}.${size}.output_clamped`)).data)).toBeLessThan(TOLERANCE);
  });

  it.each(CONFIGS)('%s 32x32: conv_first and conv_after_body intermediates; every op on WebGPU', async (config) => {
    const model = await models.get(config)!;
    const padded = await ref(`${config}.32x32.padded`);
    const graph = buildSwinIRGraph(model.config, model.weights, { height: 40, width: 40, intermediates: true });
    const optimized = optimize(graph);
    expect(opsOffWebGpu(optimized)).toEqual([]);
    const out = await runGraph(graph, { x: hostTensor('float32', [1, 3, 40, 40], padded.data) });
    for (const name of ['conv_first', 'conv_after_body']) {
      expect(relativeError(out[name]!.data as Float32Array, (await ref(`${config}.32x32.${name}`)).data), name).toBeLessThan(TOLERANCE);
    }
  });
});
