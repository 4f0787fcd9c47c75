import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { buildSwinIRGraph, expectedShapes, inferSwinIRConfig } from '../../../src/models/swinir';
import { describeWithFixtures, fixturePath } from '../../fixtures';
import { loadFixtureModel } from './fixture-data';

interface ManifestConfig {
  embed_dim: number;
  depths: number[];
  num_heads: number[];
  window_size: number;
  mlp_ratio: number;
  resi_connection: string;
}

const manifestConfigs = () =>
  (JSON.parse(readFileSync(fixturePath('swinir', 'swinir_ref.json'), 'utf8')) as { settings: { configs: Record<string, ManifestConfig> } }).settings.configs;

describeWithFixtures('SwinIR configuration from the state dict', () => {
  it.each(['M', 'L'] as const)('%s: the manifest settings, shifts on odd blocks, all parameters used', async (name) => {
    const expected = manifestConfigs()[name]!;
    const model = await loadFixtureModel(name);
    const c = model.config;
    expect([c.embedDim, c.depths, c.numHeads, c.windowSize, c.mlpHidden, c.resiConnection, c.numFeat]).toEqual([
      expected.embed_dim, expected.depths, expected.num_heads, expected.window_size, expected.embed_dim * expected.mlp_ratio, expected.resi_connection, 64,
    ]);
    expect(c.shifted).toEqual(expected.depths.map((d) => Array.from({ length: d }, (_, j) => j % 2 === 1)));
    buildSwinIRGraph(c, model.weights, { height: 16, width: 24 });
    expect(model.weights.unused()).toEqual([]);
  });

  it('--large_sr must agree with the file (SwinIR-L is 3conv, SwinIR-M 1conv)', async () => {
    await expect(loadFixtureModel('M', true)).rejects.toThrow(/with --large_sr a SwinIR-L \('3conv'\) checkpoint is expected, but this file has resi_connection '1conv'/);
    await expect(loadFixtureModel('L', false)).rejects.toThrow(/without --large_sr a SwinIR-M/);
    expect((await loadFixtureModel('L', true)).config.resiConnection).toBe('3conv');
  });
});

it('refuses the upsamplers clip-diffusion-art does not use, naming them', () => {
  const base = { inChans: 3, embedDim: 16, depths: [2], numHeads: [2], windowSize: 8, mlpHidden: 32, shifted: [[false, true]], resiConnection: '1conv', numFeat: 64, upscale: 4 } as const;
  const shapes = new Map(expectedShapes(base));
  expect(inferSwinIRConfig(shapes)).toMatchObject({ embedDim: 16, depths: [2], shifted: [[false, false]] });
  for (const name of ['conv_up1.weight', 'conv_up2.weight', 'conv_hr.weight']) shapes.delete(name);
  shapes.set('upsample.0.weight', [256, 64, 3, 3]);
  expect(() => inferSwinIRConfig(shapes)).toThrow(/upsampler 'pixelshuffle' is not supported/);
  shapes.delete('conv_before_upsample.0.weight');
  expect(() => inferSwinIRConfig(shapes)).toThrow(/upsampler 'pixelshuffledirect'/);
  shapes.delete('upsample.0.weight');
  expect(() => inferSwinIRConfig(shapes)).toThrow(/upsampler 'none \(denoising/);
});
