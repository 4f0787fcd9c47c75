import { expect, it } from 'vitest';
import { parseSampleArgs } from '../../src/cli/sample-args';

it('reads --clip_model as a list of guides with optional weights, one --clip_checkpoint file each', () => {
  const a = parseSampleArgs(['x', '--clip_model', 'ViT-B/16, RN50:0.5,RN50x4:-1e-1', '--clip_checkpoint', 'a.pt,b.pt,c.safetensors']);
  expect(a.files.clipModels).toEqual([{ name: 'ViT-B/16', weight: 1 }, { name: 'RN50', weight: 0.5 }, { name: 'RN50x4', weight: -0.1 }]);
  expect(a.files.clipCheckpoints).toEqual(['a.pt', 'b.pt', 'c.safetensors']);
  expect(a.settings.guideWeights).toEqual([1, 0.5, -0.1]);
  expect(parseSampleArgs(['x']).files.clipModels).toEqual([{ name: 'ViT-B/16', weight: 1 }]);
  expect(parseSampleArgs(['x', '--demo']).files.clipModels).toEqual([{ name: 'demo-vit', weight: 1 }]);
  expect(parseSampleArgs(['x', '--demo', '--clip_model', 'demo-rn:2,demo-vit']).settings.guideWeights).toEqual([2, 1]);
});

it('refuses an unknown model with the names it knows, a bad weight, and a file count that does not match', () => {
  expect(() => parseSampleArgs(['x', '--clip_model', 'ViT-B/16,RN51'])).toThrow("--clip_model: 'RN51' is not a CLIP model we have; the known ones are RN50, RN101, RN50x4, RN50x16, RN50x64, ViT-B/32, ViT-B/16, ViT-L/14");
  expect(() => parseSampleArgs(['x', '--demo', '--clip_model', 'RN50'])).toThrow("'RN50' is not a CLIP model we have in the demo pack; the known ones are demo-vit, demo-rn");
  expect(() => parseSampleArgs(['x', '--clip_model', 'RN50:heavy'])).toThrow("the weight of RN50 must be a number, got 'heavy'");
  expect(() => parseSampleArgs(['x', '--clip_model', 'RN50:'])).toThrow("the weight of RN50 must be a number, got ''");
  expect(() => parseSampleArgs(['x', '--clip_model', 'ViT-B/16,RN50', '--clip_checkpoint', 'a.pt'])).toThrow('--clip_checkpoint names 1 file for 2 --clip_model entries (ViT-B/16, RN50)');
});
