import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { memorySource } from '../../../src/checkpoint';
import { Graph } from '../../../src/graph';
import { inferLpipsConfig, loadLpips, lpips } from '../../../src/models/lpips';
import { describeWithFixtures, fixturePath } from '../../fixtures';

const file = (name: string) => memorySource(new Uint8Array(readFileSync(fixturePath('lpips', name))));

describeWithFixtures('loadLpips on the fixture files', () => {
  it('reads the widths from the trunk (legacy and zip alike) and takes the matching linear weights', async () => {
    for (const trunk of ['vgg16_small_legacy.pth', 'vgg16_small_zip.pth']) {
      const model = await loadLpips(file(trunk), file('lin_small_legacy.pth'));
      expect(model.config.tapWidths).toEqual([8, 16, 32, 64, 64]);
      expect([...model.config.convWidths.values()]).toEqual([8, 8, 16, 16, 32, 32, 32, 64, 64, 64, 64, 64, 64]);
    }
  });

  it("refuses linear weights made for another trunk (upstream's real vgg.pth with the small VGG), naming both", async () => {
    await expect(loadLpips(file('vgg16_small_legacy.pth'), file('vgg_v0.1_lin.pth'), { trunk: 'small.pth', lin: 'vgg.pth' }))
      .rejects.toThrow(/^vgg\.pth: lin0\.model\.1\.weight is \[1, 64, 1, 1\] but the VGG16 trunk's relu1_2 has 8 channels: the two files do not belong together$/);
  });

  it('refuses a file that is not a VGG16 state dict as the trunk, and one without lin weights as the linear layers', async () => {
    await expect(loadLpips(file('lin_small_legacy.pth'), file('lin_small_legacy.pth'), { trunk: 'lin.pth' }))
      .rejects.toThrow(/^lin\.pth: features\.0\.weight is missing: not a torchvision VGG16 state dict/);
    await expect(loadLpips(file('vgg16_small_legacy.pth'), file('vgg16_small_zip.pth'), { lin: 'vgg16.pth' }))
      .rejects.toThrow(/^vgg16\.pth: no lin0\.model\.1\.weight … lin4\.model\.1\.weight/);
  });
});

describe('LPIPS shapes', () => {
  const widths = [4, 4, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8];
  const shapes = new Map<string, number[]>();
  [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28].forEach((index, i) => shapes.set(`features.${index}.weight`, [widths[i]!, i === 0 ? 3 : widths[i - 1]!, 3, 3]));

  it('refuses a conv whose input channels break the chain, naming it and the shape VGG16 needs', () => {
    const broken = new Map(shapes).set('features.5.weight', [8, 5, 3, 3]);
    expect(() => inferLpipsConfig(broken, 'x.pth')).toThrow(/^x\.pth: features\.5\.weight is \[8, 5, 3, 3\], but VGG16 needs \[out, 4, 3, 3\] there$/);
  });

  it('refuses images under 16×16, where the fourth pool would leave nothing', () => {
    const config = inferLpipsConfig(shapes, 'x.pth');
    const g = new Graph('small');
    const weights = { param: (graph: Graph, name: string, shape: readonly number[]) => graph.input(name, 'float32', shape) };
    expect(() => lpips({ config, weights }, g.input('x', 'float32', [1, 3, 15, 32]), g.input('init', 'float32', [1, 3, 15, 32])))
      .toThrow(/LPIPS needs RGB images \[n, 3, H, W\] of at least 16×16 \(VGG16 pools four times\), got \[1, 3, 15, 32\]/);
  });
});
