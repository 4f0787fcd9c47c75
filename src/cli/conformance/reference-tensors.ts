import { openCheckpoint, readTensor } from '../../checkpoint/index';
import type { FixtureDir } from './types';

type RefArray = Float32Array | Float64Array | BigInt64Array;

/** Reference tensors of a `<group>_ref.safetensors`, read whole (the float and int64 ones), by name. */
export interface ReferenceTensors {
  f32(name: string): Float32Array;
  f64(name: string): Float64Array;
  ints(name: string): number[];
  /** Row k of a [rows, ...] float32 tensor. */
  row(name: string, k: number): Float32Array;
  /** Number of rows (first dimension) of a float32 tensor. */
  rows(name: string): number;
  has(name: string): boolean;
}

export async function loadReferenceTensors(dir: FixtureDir, path: string): Promise<ReferenceTensors> {
  const tensors = new Map<string, { data: RefArray; shape: readonly number[] }>();
  await dir.withSource(path, async (source) => {
    for (const [name, t] of (await openCheckpoint(source)).tensors) {
      if (t.dtype === 'F32' || t.dtype === 'F64' || t.dtype === 'I64') tensors.set(name, { data: (await readTensor(t)).slice() as RefArray, shape: t.shape });
    }
  });
  const get = <T extends RefArray>(name: string, ctor: new (n: number) => T): { data: T; shape: readonly number[] } => {
    const t = tensors.get(name);
    if (!t) throw new Error(`reference tensor ${name} is missing`);
    if (!(t.data instanceof ctor)) throw new Error(`reference tensor ${name} is not ${ctor.name}`);
    return t as { data: T; shape: readonly number[] };
  };
  return {
    f32: (name) => get(name, Float32Array).data,
    f64: (name) => get(name, Float64Array).data,
    ints: (name) => Array.from(get(name, BigInt64Array).data, Number),
    row(name, k) {
      const { data, shape } = get(name, Float32Array);
      const rows = shape[0]!;
      if (!Number.isInteger(k) || k < 0 || k >= rows) throw new Error(`reference tensor ${name} has ${rows} rows; row ${k} was asked for`);
      const per = data.length / rows;
      return data.subarray(k * per, (k + 1) * per);
    },
    rows: (name) => get(name, Float32Array).shape[0]!,
    has: (name) => tensors.has(name),
  };
}
