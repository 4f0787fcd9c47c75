import { readFileSync } from 'node:fs';
import { openCheckpoint, readTensor, readTensorFloat32 } from '../../../src/checkpoint';
import { withFileSource } from '../../../src/cli/file-source';
import { loadUnetWeights, parseModelConfigYaml, resolveConfig, type UnetConfig } from '../../../src/models/unet';
import type { ArrayWeights } from '../../../src/models/weights';
import { hostTensor, type HostTensor } from '../../../src/runtime';
import { fixturePath } from '../../fixtures';

/** Every tensor of a reference file, as host tensors (F32, F64 and I64; other dtypes are not needed here). */
export async function readReferences(file: string): Promise<Map<string, HostTensor>> {
  return withFileSource(fixturePath(file), async (source) => {
    const refs = new Map<string, HostTensor>();
    for (const [name, t] of (await openCheckpoint(source)).tensors) {
      if (t.dtype === 'I64') refs.set(name, hostTensor('int64', t.shape, (await readTensor(t)) as BigInt64Array));
      else if (t.dtype === 'F64') refs.set(name, hostTensor('float64', t.shape, (await readTensor(t)) as Float64Array));
      else if (t.dtype === 'F32') refs.set(name, hostTensor('float32', t.shape, await readTensorFloat32(t)));
    }
    return refs;
  });
}

export function get(refs: ReadonlyMap<string, HostTensor>, name: string): HostTensor {
  const t = refs.get(name);
  if (!t) throw new Error(`reference ${name} missing`);
  return t;
}

/** Config `name` of the unet group from its yaml, and its checkpoint's weights. */
export async function fixtureUnet(name: string): Promise<{ config: UnetConfig; weights: ArrayWeights }> {
  const config = resolveConfig(parseModelConfigYaml(readFileSync(fixturePath(`unet/unet_${name}.yaml`), 'utf8')));
  const weights = await withFileSource(fixturePath(`unet/unet_${name}.pt`), async (s) => loadUnetWeights(await openCheckpoint(s), config, `unet_${name}.pt`));
  return { config, weights };
}

/** max |a − b| / max |b|. */
export function relError(actual: ArrayLike<number>, reference: ArrayLike<number>): number {
  if (actual.length !== reference.length) throw new Error(`length ${actual.length} vs ${reference.length}`);
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < reference.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - reference[i]!));
    ref = Math.max(ref, Math.abs(reference[i]!));
  }
  return diff / ref;
}
