import { describe, expect, it } from 'vitest';
import {
  blobSource, memorySource, openCheckpoint, readTensor, readTensorBytes, readTensorFloat32, type Checkpoint,
} from '../../src/checkpoint/index';
import { expectCheckpointError } from './helpers/expect-error';
import { PickleWriter } from './helpers/pickle-writer';
import { f32Bytes, i64Bytes, statePickle, torchZip, writeTensor, type StorageSpec, type TensorSpec } from './helpers/torch-writer';

const open = (bytes: Uint8Array): Promise<Checkpoint> => openCheckpoint(memorySource(bytes));
const u16Bytes = (values: readonly number[]): Uint8Array => new Uint8Array(Uint16Array.from(values).buffer);

const storages: StorageSpec[] = [
  { key: '0', cls: 'FloatStorage', bytes: f32Bytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]) },
  // 1.0, -2.0, 65504 (max half), 2^-24 (smallest subnormal), +inf, -0
  { key: '1', cls: 'HalfStorage', bytes: u16Bytes([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x8000]) },
  // bfloat16: 1.0, -3.0, 1.5e-38-ish, 3.3895e38
  { key: '2', cls: 'BFloat16Storage', bytes: u16Bytes([0x3f80, 0xc040, 0x00a3, 0x7f7f]) },
  { key: '3', cls: 'LongStorage', bytes: i64Bytes([-1, 2 ** 40, 7]) },
  { key: '4', cls: 'BoolStorage', bytes: Uint8Array.from([1, 0, 1]) },
  { key: '5', cls: 'DoubleStorage', bytes: new Uint8Array(Float64Array.from([1.5, -2.25, 3.125, 4.0625, 5.5, 6.75]).buffer) },
];

const tensors: TensorSpec[] = [
  { name: 'w', storage: '0', shape: [3, 4] },
  { name: 'row', storage: '0', shape: [4], offset: 8 },
  { name: 'wT', storage: '0', shape: [4, 3], strides: [1, 4] },
  { name: 'cols', storage: '0', shape: [3, 2], strides: [4, 2], offset: 1 },
  { name: 'expanded', storage: '0', shape: [2, 3], strides: [0, 1], offset: 5 },
  { name: 'scalar', storage: '0', shape: [], offset: 11 },
  { name: 'empty', storage: '0', shape: [0, 4] },
  { name: 'half', storage: '1', shape: [6] },
  { name: 'bf16', storage: '2', shape: [2, 2] },
  { name: 'long', storage: '3', shape: [3] },
  { name: 'flag', storage: '4', shape: [3] },
  { name: 'f64T', storage: '5', shape: [3, 2], strides: [1, 3] },
];

describe('torch zip checkpoints', () => {
  it('reads dtypes, shapes, strides and offsets of a state dict', async () => {
    const ck = await open(torchZip({ storages, tensors }));
    expect(ck.format).toBe('torch');
    expect([...ck.tensors.keys()]).toEqual(tensors.map((t) => t.name));
    const wT = ck.tensors.get('wT')!;
    expect([wT.dtype, wT.shape, wT.strides, wT.offset]).toEqual(['F32', [4, 3], [1, 4], 0]);
    expect(ck.tensors.get('w')!.storage).toBe(wT.storage);
    expect(ck.tensors.get('half')!.dtype).toBe('F16');
    expect(ck.tensors.get('flag')!.dtype).toBe('BOOL');
  });

  it('materialises views of a shared storage, contiguous or not', async () => {
    const ck = await open(torchZip({ storages, tensors }));
    const f32 = async (name: string) => [...(await readTensorFloat32(ck.tensors.get(name)!))];
    expect(await f32('w')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(await f32('row')).toEqual([8, 9, 10, 11]);
    expect(await f32('wT')).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    expect(await f32('cols')).toEqual([1, 3, 5, 7, 9, 11]);
    expect(await f32('expanded')).toEqual([5, 6, 7, 5, 6, 7]);
    expect(await f32('scalar')).toEqual([11]);
    expect(await f32('empty')).toEqual([]);
    expect(await f32('f64T')).toEqual([1.5, 4.0625, -2.25, 5.5, 3.125, 6.75]);
  });

  it('converts float16 and bfloat16 to float32 exactly, and keeps other dtypes typed', async () => {
    const ck = await open(torchZip({ storages, tensors }));
    expect([...(await readTensorFloat32(ck.tensors.get('half')!))]).toEqual([1, -2, 65504, 2 ** -24, Infinity, -0]);
    expect([...(await readTensorFloat32(ck.tensors.get('bf16')!))]).toEqual([1, -3, new Float32Array(new Uint32Array([0x00a30000]).buffer)[0], new Float32Array(new Uint32Array([0x7f7f0000]).buffer)[0]]);
    expect([...(await readTensor(ck.tensors.get('long')!))]).toEqual([-1n, 2n ** 40n, 7n]);
    expect([...(await readTensor(ck.tensors.get('flag')!))]).toEqual([1, 0, 1]);
    const half = await readTensor(ck.tensors.get('half')!);
    expect(half).toBeInstanceOf(Uint16Array);
    expect(half[0]).toBe(0x3c00);
    await expectCheckpointError(readTensorFloat32(ck.tensors.get('long')!), "tensor in storage 'archive/data/3' is I64, not floating point");
  });

  it('returns zero-copy views of aligned data', async () => {
    const bytes = torchZip({ storages, tensors });
    const ck = await open(bytes);
    const w = await readTensor(ck.tensors.get('row')!);
    expect(w.buffer).toBe(bytes.buffer);
  });

  it('reads from a Blob by range, and finds the record folder whatever its name', async () => {
    const bytes = torchZip({ storages, tensors, prefix: 'my model (1)' });
    const ck = await openCheckpoint(blobSource(new Blob([bytes as Uint8Array<ArrayBuffer>])));
    expect([...(await readTensorFloat32(ck.tensors.get('cols')!))]).toEqual([1, 3, 5, 7, 9, 11]);
  });

  it.each([
    [['params_ema'], ['params_ema']],
    [['state_dict'], ['state_dict']],
    [['model', 'module'], ['model', 'module']],
  ])('unwraps %j', async (wrap, unwrapped) => {
    const ck = await open(torchZip({ storages, tensors: tensors.slice(0, 2), wrap }));
    expect(ck.unwrapped).toEqual(unwrapped);
    expect([...ck.tensors.keys()]).toEqual(['w', 'row']);
  });

  it("strips a DataParallel 'module.' prefix", async () => {
    const ck = await open(torchZip({ storages, tensors: tensors.slice(0, 2).map((t) => ({ ...t, name: `module.${t.name}` })), wrap: ['state_dict'] }));
    expect(ck.unwrapped).toEqual(['state_dict', 'module.']);
    expect([...ck.tensors.keys()]).toEqual(['w', 'row']);
  });

  it('reads tensors saved as nn.Parameter (_rebuild_parameter)', async () => {
    const w = new PickleWriter().proto(2).emptyDict().str('p').global('torch._utils', '_rebuild_parameter').mark();
    writeTensor(w, tensors[1]!, storages).bool(true).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce().setitem().stop();
    const ck = await open(torchZip({ storages, pickle: w.bytes() }));
    expect([...(await readTensorFloat32(ck.tensors.get('p')!))]).toEqual([8, 9, 10, 11]);
  });
});

describe('torch zip checkpoints: broken and hostile files', () => {
  const one = (t: Partial<TensorSpec>, s: Partial<StorageSpec> = {}): Uint8Array =>
    torchZip({ storages: [{ ...storages[0]!, ...s }], tensors: [{ name: 'x', storage: '0', shape: [2], ...t }] });

  it('rejects a storage offset past the data', () => expectCheckpointError(open(one({ offset: 11 })), "tensor in storage 'archive/data/0': shape [2] strides [1] at storage offset 11 reach element 12, past the 12 F32 elements the storage holds"));
  it('rejects strides that reach past the data', () => expectCheckpointError(open(one({ shape: [3, 3], strides: [4, 2] })), /reach element 12, past the 12 F32 elements/));
  it('rejects an absurd declared storage size', () => expectCheckpointError(open(one({}, { numel: 2 ** 50 })), "storage '0' declares 1125899906842624 torch.FloatStorage elements (4503599627370496 bytes) but its record holds 48 bytes"));
  it('rejects an absurd shape', () => expectCheckpointError(open(one({ shape: [2 ** 30, 2 ** 30], strides: [0, 0] })), 'shape [1073741824, 1073741824] declares an absurd size'));
  it('rejects a stride-0 view that would expand a few bytes to terabytes', () => expectCheckpointError(open(one({ shape: [2 ** 20, 2 ** 20], strides: [0, 0] })), "shape [1048576, 1048576] expands 48 bytes of storage to 4398046511104 bytes, over the limit"));
  it('rejects a missing storage record', () => expectCheckpointError(open(torchZip({ storages: [], pickle: statePickle(tensors.slice(0, 1), storages) })), "storage '0' has no record 'archive/data/0' in the archive"));
  it('rejects storage keys that are paths', () => expectCheckpointError(open(torchZip({ storages: [{ ...storages[0]!, key: '../0' }], tensors: [{ name: 'x', storage: '../0', shape: [1] }] })), "invalid storage key '../0'"));
  it('rejects unsupported storage types by name', () => expectCheckpointError(open(torchZip({ storages: [{ ...storages[0]!, cls: 'ComplexFloatStorage', numel: 1 }], tensors: [{ name: 'x', storage: '0', shape: [1] }] })), "refusing global 'torch.ComplexFloatStorage'"));
  it('rejects a zip without data.pkl', () => expectCheckpointError(open(torchZip({ storages, pickle: new Uint8Array(0), prefix: 'a/b' })), 'zip archive has no data.pkl record, so it is not a PyTorch checkpoint'));
  it('rejects big-endian archives', () => expectCheckpointError(open(torchZip({ storages, tensors, extra: [{ name: 'archive/byteorder', data: new TextEncoder().encode('big') }] })), "archive records byte order 'big'; only little-endian checkpoints are supported"));
  it('rejects a dict without tensors, naming its keys', () => expectCheckpointError(open(torchZip({ storages: [], pickle: new PickleWriter().proto(2).emptyDict().str('epoch').int(3).setitem().stop().bytes() })), "no tensors found in the checkpoint's dict (keys: 'epoch')"));

  it('rejects random bytes', async () => {
    let seed = 1;
    const bytes = Uint8Array.from({ length: 4096 }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    await expectCheckpointError(open(bytes), /unrecognised checkpoint format \(first bytes [0-9a-f ]+\)/);
    await expectCheckpointError(open(new Uint8Array(3)), 'file of 3 bytes is too small to be a checkpoint');
  });

  it('rejects truncation at every cut point, opening or reading', async () => {
    const bytes = torchZip({ storages, tensors });
    for (let cut = 0; cut < bytes.length; cut += 13) {
      await expectCheckpointError(async () => {
        const ck = await open(bytes.subarray(0, cut));
        for (const t of ck.tensors.values()) await readTensorBytes(t);
      }, /./);
    }
  });
});
