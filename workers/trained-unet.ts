import { createSha256 } from '../src/cache/sha256';
import { memorySource, openCheckpoint } from '../src/checkpoint';
import { EngineError } from '../src/errors';
import { loadUnetWeights, type UnetConfig } from '../src/models/unet';
import { readRunFile } from './training-store';

/**
 * A model or EMA file of the studio's training run as a UNet's weights, and the key its graphs are
 * cached under: the file's digest, since every run names its files alike.
 */
export async function trainedUnet(name: string, config: UnetConfig) {
  const blob = await readRunFile(name);
  if (!blob) throw new EngineError(`${name} is not in the training run any more (a new run started?): choose another UNet`);
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const sha = createSha256();
  sha.update(bytes);
  return { weights: await loadUnetWeights(await openCheckpoint(memorySource(bytes)), config, name), key: `trained:${sha.hex()}` };
}
