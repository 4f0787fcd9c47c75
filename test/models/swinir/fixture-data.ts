import { openCheckpoint, readTensorFloat32 } from '../../../src/checkpoint/index';
import { withFileSource } from '../../../src/cli/file-source';
import { loadSwinIR, planarImage, type PlanarImage } from '../../../src/models/swinir';
import { fixturePath } from '../../fixtures';
import { compareArrays } from '../../../src/cli/conformance/results';

export interface RefTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

let refs: Promise<Map<string, RefTensor>> | undefined;

/** Every tensor of swinir_ref.safetensors, read once per test file. */
export function swinirRefs(): Promise<Map<string, RefTensor>> {
  refs ??= withFileSource(fixturePath('swinir', 'swinir_ref.safetensors'), async (source) => {
    const ck = await openCheckpoint(source);
    const out = new Map<string, RefTensor>();
    for (const [name, t] of ck.tensors) out.set(name, { shape: t.shape, data: await readTensorFloat32(t) });
    return out;
  });
  return refs;
}

export async function ref(name: string): Promise<RefTensor> {
  const t = (await swinirRefs()).get(name);
  if (!t) throw new Error(`swinir_ref.safetensors has no ${name}`);
  return t;
}

/** A reference [1, 3, h, w] (or [3, h, w]) tensor as a planar image. */
export const asImage = (t: RefTensor): PlanarImage => planarImage(3, t.shape[t.shape.length - 2]!, t.shape[t.shape.length - 1]!, t.data);

export const loadFixtureModel = (config: 'M' | 'L', largeSr?: boolean) =>
  withFileSource(fixturePath('swinir', `swinir_${config}.pth`), (source) => loadSwinIR(source, largeSr === undefined ? {} : { largeSr }));

/** max |a − ref| / max |ref|: the relative error the tolerances are stated in (the conformance runner's measure). */
export const relativeError = (actual: ArrayLike<number>, reference: ArrayLike<number>): number => compareArrays(actual, reference).maxRel;
