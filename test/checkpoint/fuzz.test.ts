import { describe, expect, it } from 'vitest';
import { isFloating, memorySource, openCheckpoint, readTensorBytes, readTensorFloat32 } from '../../src/checkpoint/index';
import { unpickle } from '../../src/checkpoint/pickle';
import { torchGlobal, torchPersistentLoad } from '../../src/checkpoint/torch-globals';
import { PickleWriter } from './helpers/pickle-writer';
import { writeSafetensors } from '../../src/checkpoint/safetensors-write';
import { legacyTorchFile } from './helpers/legacy-writer';
import { f32Bytes, i64Bytes, statePickle, torchZip, writeTensor, type StorageSpec, type TensorSpec } from './helpers/torch-writer';

/** mulberry32: a small seeded PRNG, so every failure names a reproducible case. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x40];
const INTERESTING_U32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xffff, 64];

function mutate(base: Uint8Array, rand: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(rand() * n);
  let out = base.slice();
  for (let k = 1 + pick(4); k > 0; k--) {
    const at = pick(out.length);
    switch (pick(6)) {
      case 0: out[at] = out[at]! ^ (1 << pick(8)); break;
      case 1: out[at] = INTERESTING[pick(INTERESTING.length)]!; break;
      case 2: if (at + 4 <= out.length) new DataView(out.buffer).setUint32(at, INTERESTING_U32[pick(INTERESTING_U32.length)]!, true); break;
      case 3: out = out.subarray(0, at); break;
      case 4: out = Uint8Array.from([...out.subarray(0, at), ...Array.from({ length: 1 + pick(8) }, () => pick(256)), ...out.subarray(at)]); break;
      default: out[at] = pick(256);
    }
    if (out.length === 0) break;
  }
  return out;
}

const storages: StorageSpec[] = [
  { key: '0', cls: 'FloatStorage', bytes: f32Bytes([1, 2, 3, 4, 5, 6, 7, 8]) },
  { key: '1', cls: 'HalfStorage', bytes: new Uint8Array(8) },
  { key: '2', cls: 'LongStorage', bytes: i64Bytes([3, 4]) },
];
const tensors: TensorSpec[] = [
  { name: 'a', storage: '0', shape: [2, 4] },
  { name: 'b', storage: '0', shape: [4, 2], strides: [1, 4] },
  { name: 'c', storage: '1', shape: [2, 2] },
  { name: 'd', storage: '2', shape: [2] },
];

function scripted(): Uint8Array {
  const w = new PickleWriter().proto(2).global('__torch__.m', 'Top').emptyTuple().newobj().emptyDict().mark();
  writeTensor(w.str('w'), { name: 'w', storage: '0', shape: [8] }, storages);
  w.str('sub').global('__torch__.m', 'Sub').emptyTuple().newobj().emptyDict().mark();
  writeTensor(w.str('b'), { name: 'b', storage: '2', shape: [2] }, storages);
  return w.setitems().build().setitems().build().stop().bytes();
}

const BASES: Record<string, Uint8Array> = {
  'torch zip': torchZip({ storages, tensors, wrap: ['params_ema'] }),
  'torch zip (deflated, zip64)': torchZip({ storages, tensors, zip: { zip64: true }, extra: [{ name: 'archive/extra', data: new Uint8Array(64), method: 8 }] }),
  'torch legacy': legacyTorchFile({ storages, tensors, wrap: ['state_dict'], keys: ['2', '0', '1'] }),
  'torch legacy (python 2)': legacyTorchFile({ storages, tensors, style: { python2: true, location: 'cuda:0' } }),
  torchscript: torchZip({ storages, pickle: scripted(), extra: [{ name: 'archive/constants.pkl', data: new PickleWriter().proto(2).emptyTuple().stop().bytes() }] }),
  safetensors: writeSafetensors([
    { name: 'a', dtype: 'F32', shape: [2, 2], data: f32Bytes([1, 2, 3, 4]) },
    { name: 'b', dtype: 'BF16', shape: [2], data: new Uint8Array(4) },
    { name: 'c', dtype: 'I64', shape: [1], data: i64Bytes([5]) },
  ], { format: 'pt' }),
};

/** Every outcome must be a full read or a CheckpointError; returns which happened. */
async function attempt(bytes: Uint8Array): Promise<'ok' | 'rejected'> {
  try {
    const ck = await openCheckpoint(memorySource(bytes));
    for (const t of ck.tensors.values()) {
      await readTensorBytes(t);
      if (isFloating(t.dtype)) await readTensorFloat32(t);
    }
    return 'ok';
  } catch (err) {
    if ((err as Error).name === 'CheckpointError') return 'rejected';
    throw err;
  }
}

const CASES = 5000;

describe('seeded fuzzing: mutated files are read or rejected with a CheckpointError', () => {
  it.each(Object.keys(BASES))('%s', async (format) => {
    const base = BASES[format]!;
    expect(await attempt(base)).toBe('ok');
    const rand = prng(0xc0ffee ^ format.length);
    const outcomes = { ok: 0, rejected: 0 };
    for (let i = 0; i < CASES; i++) {
      const input = mutate(base, rand);
      const outcome = await attempt(input).catch((err: Error) => {
        throw new Error(`case ${i} of ${format}: ${err.name}: ${err.message}\n${Buffer.from(input).toString('base64')}`, { cause: err });
      });
      outcomes[outcome]++;
    }
    expect(outcomes.ok + outcomes.rejected).toBe(CASES);
    expect(outcomes.rejected).toBeGreaterThan(CASES / 10);
  });

  it('raw pickles', () => {
    const base = statePickle(tensors, storages, ['state_dict']);
    const rand = prng(42);
    const storage = { key: 's', byteLength: 64, read: () => Promise.resolve(new Uint8Array(0)) };
    for (let i = 0; i < CASES; i++) {
      const input = mutate(base, rand);
      try {
        unpickle(input, { findGlobal: torchGlobal, persistentLoad: (pid) => torchPersistentLoad(pid, () => storage) }, 'fuzz.pkl');
      } catch (err) {
        if ((err as Error).name !== 'CheckpointError') throw new Error(`case ${i}: ${(err as Error).name}: ${(err as Error).message}`, { cause: err });
      }
    }
  });
});
