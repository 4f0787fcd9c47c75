import { openCheckpoint, type ByteSource } from '../../checkpoint/index';
import { CheckpointError } from '../../errors';
import { readWeights } from '../weights';
import { convIndices, inferLpipsConfig, TAP_NAMES, type LpipsConfig } from './architecture';
import type { LpipsModel } from './graph';

/** The tensors LPIPS reads from each file, by name and shape: the trunk's convs, then the five linear layers. */
export function lpipsParameterShapes(config: LpipsConfig): { trunk: Map<string, number[]>; lin: Map<string, number[]> } {
  const trunk = new Map<string, number[]>();
  let channels = 3;
  for (const index of convIndices()) {
    const width = config.convWidths.get(index)!;
    trunk.set(`features.${index}.weight`, [width, channels, 3, 3]);
    trunk.set(`features.${index}.bias`, [width]);
    channels = width;
  }
  return { trunk, lin: new Map(config.tapWidths.map((c, l) => [`lin${l}.model.1.weight`, [1, c, 1, 1]])) };
}

/**
 * LPIPS-VGG from the two files its authors publish: torchvision's VGG16 state dict (its
 * `classifier`, most of the file, is never read) and LPIPS's linear weights (`lin{k}.model.1.weight`;
 * the `lins.{k}` aliases of a full LPIPS state dict are ignored). Widths come from the trunk, and the
 * linear layers must fit them.
 */
export async function loadLpips(trunkSource: ByteSource, linSource: ByteSource, labels: { trunk?: string; lin?: string } = {}): Promise<LpipsModel> {
  const [trunkLabel, linLabel] = [labels.trunk ?? 'VGG16 checkpoint', labels.lin ?? 'LPIPS linear weights'];
  const trunk = await openCheckpoint(trunkSource);
  const config = inferLpipsConfig(new Map([...trunk.tensors].map(([name, t]) => [name, t.shape])), trunkLabel);
  const want = lpipsParameterShapes(config);
  const lin = await openCheckpoint(linSource);
  const linTensors = new Map([...lin.tensors].filter(([name]) => /^lin\d\.model\.1\.weight$/.test(name)));
  if (linTensors.size === 0) throw new CheckpointError(`${linLabel}: no lin0.model.1.weight … lin4.model.1.weight: not LPIPS's linear weights (weights/v0.1/vgg.pth)`);
  for (const [name, shape] of want.lin) {
    const got = linTensors.get(name)?.shape;
    if (got && got.join() !== shape.join()) {
      throw new CheckpointError(`${linLabel}: ${name} is [${got.join(', ')}] but the VGG16 trunk's ${TAP_NAMES[Number(name[3])]} has ${shape[1]} channels: the two files do not belong together`);
    }
  }
  const trunkWeights = await readWeights(new Map([...trunk.tensors].filter(([name]) => want.trunk.has(name))), want.trunk, trunkLabel);
  const linWeights = await readWeights(linTensors, want.lin, linLabel);
  // Each name is asked of the file it comes from, so a message names that file.
  return { config, weights: { param: (graph, name, shape, as) => (want.lin.has(name) ? linWeights : trunkWeights).param(graph, name, shape, as) } };
}
