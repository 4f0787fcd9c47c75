import { openCheckpoint, readTensor, readTensorFloat32, type Checkpoint } from '../../../src/checkpoint/index';
import { withFileSource } from '../../../src/cli/file-source';
import { fixturePath } from '../../fixtures';
import { compareArrays } from '../../../src/cli/conformance/results';

export interface RefTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Opens a fixture file (checkpoint or reference safetensors) for the duration of `work`. */
export const withFixture = <T>(file: string, work: (ck: Checkpoint) => Promise<T>): Promise<T> =>
  withFileSource(fixturePath(file), async (source) => work(await openCheckpoint(source)));

/** Reference tensors of a group as float32 (integer ones through readTensor, widened). */
export async function readReferences(group: string, names: readonly string[]): Promise<Record<string, RefTensor>> {
  return withFixture(`${group}/${group}_ref.safetensors`, async (ck) => {
    const out: Record<string, RefTensor> = {};
    for (const name of names) {
      const t = ck.tensors.get(name);
      if (!t) throw new Error(`reference ${group}/${name} missing`);
      const data = t.dtype === 'F32' || t.dtype === 'F16' || t.dtype === 'F64' ? await readTensorFloat32(t) : Float32Array.from(await readTensor(t), Number);
      out[name] = { shape: t.shape, data };
    }
    return out;
  });
}

/** max |a − ref| / max |ref|: the relative error the tolerances are stated in (the conformance runner's measure). */
export const relativeError = (actual: ArrayLike<number>, reference: ArrayLike<number>): number => compareArrays(actual, reference).maxRel;
