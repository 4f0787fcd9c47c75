import { describe, expect, it } from 'vitest';
import {
  blobSource, memorySource, openCheckpoint, readTensor, readTensorBytes, readTensorFloat32, type ByteSource, type Checkpoint,
} from '../../src/checkpoint/index';
import { expectCheckpointError } from './helpers/expect-error';
import { LEGACY_MAGIC_NUMBER, legacyBlock, legacyTorchFile, sysInfoPickle, type LegacySpec } from './helpers/legacy-writer';
import { PickleWriter } from './helpers/pickle-writer';
import { f32Bytes, i64Bytes, writeTensor, type StorageSpec, type TensorSpec } from './helpers/torch-writer';

const open = (bytes: Uint8Array): Promise<Checkpoint> => openCheckpoint(memorySource(bytes));

/** Opens and reads every tensor: what a caller does before trusting a file. */
async function readAll(bytes: Uint8Array): Promise<Checkpoint> {
  const ck = await open(bytes);
  for (const t of ck.tensors.values()) await readTensorBytes(t);
  return ck;
}

// Address-like keys, as torch names storages; the key list below orders the blocks unlike the tensors.
const storages: StorageSpec[] = [
  { key: '94000000000002', cls: 'FloatStorage', bytes: f32Bytes([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]) },
  { key: '94000000000001', cls: 'HalfStorage', bytes: new Uint8Array(Uint16Array.from([0x3c00, 0xc000]).buffer) },
  { key: '94000000000003', cls: 'LongStorage', bytes: i64Bytes([-1, 2 ** 40, 7]) },
];
const keys = ['94000000000003', '94000000000002', '94000000000001'];
const tensors: TensorSpec[] = [
  { name: 'w', storage: '94000000000002', shape: [3, 4] },
  { name: 'wT', storage: '94000000000002', shape: [4, 3], strides: [1, 4] },
  { name: 'row', storage: '94000000000002', shape: [4], offset: 8 },
  { name: 'expanded', storage: '94000000000002', shape: [2, 3], strides: [0, 1], offset: 5 },
  { name: 'half', storage: '94000000000001', shape: [2] },
  { name: 'long', storage: '94000000000003', shape: [3] },
];
const file = (spec: Partial<LegacySpec> = {}): Uint8Array => legacyTorchFile({ storages, tensors, keys, ...spec });

/** Byte length of the five pickles of `file(spec)`, i.e. where its first data block starts. */
const pickleBytes = (spec: Partial<LegacySpec> = {}): number => file({ ...spec, data: new Uint8Array(0) }).length;

async function expectContents(ck: Checkpoint): Promise<void> {
  const f32 = async (name: string) => [...(await readTensorFloat32(ck.tensors.get(name)!))];
  expect(ck.format).toBe('torch-legacy');
  expect([...ck.tensors.keys()]).toEqual(tensors.map((t) => t.name));
  expect(await f32('w')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  expect(await f32('wT')).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  expect(await f32('row')).toEqual([8, 9, 10, 11]);
  expect(await f32('expanded')).toEqual([5, 6, 7, 5, 6, 7]);
  expect(await f32('half')).toEqual([1, -2]);
  expect([...(await readTensor(ck.tensors.get('long')!))]).toEqual([-1n, 2n ** 40n, 7n]);
  expect(ck.tensors.get('w')!.storage).toBe(ck.tensors.get('wT')!.storage);
}

/** A source that records every range read from it. */
function recording(bytes: Uint8Array): { source: ByteSource; reads: [number, number][] } {
  const inner = memorySource(bytes);
  const reads: [number, number][] = [];
  return { reads, source: { size: inner.size, read: (offset, length) => (reads.push([offset, length]), inner.read(offset, length)) } };
}

describe('torch legacy (pre-1.6) checkpoints', () => {
  it('reads a state dict as torch 1.13 writes it, its data blocks in key-list order', async () => {
    const ck = await open(file());
    await expectContents(ck);
    const wT = ck.tensors.get('wT')!;
    expect([wT.dtype, wT.shape, wT.strides, wT.offset, wT.storage.key]).toEqual(['F32', [4, 3], [1, 4], 0, '94000000000002']);
  });

  it('reads the format as Python 2 wrote it: byte strings, LONG1 numels, no hooks, OrderedDict from lists, cuda:0', async () => {
    await expectContents(await open(file({ style: { python2: true, location: 'cuda:0' } })));
  });

  it('reads the first pickle in protocol 4 (with a FRAME), too', async () => {
    const magic = new PickleWriter().proto(4).raw(0x95, 13, 0, 0, 0, 0, 0, 0, 0).int(LEGACY_MAGIC_NUMBER).stop().bytes();
    await expectContents(await open(file({ pickles: { 0: magic } })));
  });

  it('unwraps the state dict and strips a DataParallel prefix, as for zip files', async () => {
    const ck = await open(file({ wrap: ['state_dict'], tensors: tensors.map((t) => ({ ...t, name: `module.${t.name}` })) }));
    expect(ck.unwrapped).toEqual(['state_dict', 'module.']);
    expect([...ck.tensors.keys()]).toEqual(tensors.map((t) => t.name));
  });

  it('reads from a Blob by range', async () => {
    await expectContents(await openCheckpoint(blobSource(new Blob([file() as Uint8Array<ArrayBuffer>]))));
  });

  it('opening reads the pickles and the element counts, not the data; a tensor reads only its bytes', async () => {
    const big: StorageSpec = { key: '1', cls: 'FloatStorage', bytes: f32Bytes(Array.from({ length: 1 << 18 }, (_, i) => i)) };
    const bytes = legacyTorchFile({ storages: [big, storages[0]!], tensors: [{ name: 'big', storage: '1', shape: [1 << 18] }, { name: 'w', storage: '94000000000002', shape: [3, 4] }] });
    const { source, reads } = recording(bytes);
    const ck = await openCheckpoint(source);
    expect(reads.reduce((n, [, length]) => n + length, 0)).toBeLessThan(70_000);
    reads.length = 0;
    expect([...(await readTensorFloat32(ck.tensors.get('w')!))]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(reads).toEqual([[bytes.length - 48, 48]]);
  });

  it('reads pickles longer than the first slice it reads', async () => {
    const name = 'n'.repeat(200_000);
    const ck = await open(legacyTorchFile({ storages, tensors: [{ name, storage: '94000000000002', shape: [12] }], keys: ['94000000000002'] }));
    expect([...(await readTensorFloat32(ck.tensors.get(name)!))]).toHaveLength(12);
  });
});

describe('torch legacy checkpoints: hostile and broken files', () => {
  // After the magic number, so that even pickle 1 passes the format sniffing.
  const hostile = (module: string, name: string): Uint8Array =>
    new PickleWriter().proto(2).int(LEGACY_MAGIC_NUMBER).op('0').global(module, name).str('touch /tmp/pwned').tuple1().reduce().stop().bytes();
  const cases = [0, 1, 2, 3, 4].flatMap((index) => [['os', 'system'], ['builtins', 'eval'], ['subprocess', 'Popen']].map(([m, n]) => [index, m!, n!] as const));

  it.each(cases)('refuses a global in pickle %i (%s.%s) without calling anything', async (index, module, name) => {
    await expectCheckpointError(open(file({ pickles: { [index]: hostile(module, name) } })), `refusing global '${module}.${name}'`);
  });

  it('refuses persistent ids outside the object pickle', async () => {
    const pid = new PickleWriter().proto(2).mark().str('storage').tuple().binpersid().stop().bytes();
    await expectCheckpointError(open(file({ pickles: { 4: pid } })), 'pickle 5 of 5 (storage keys): a persistent id has no place in this pickle');
  });

  it('checks the magic number, protocol version and sys_info', async () => {
    const int = (n: number) => new PickleWriter().proto(2).int(n).stop().bytes();
    const notMagic = new PickleWriter().proto(2).int(LEGACY_MAGIC_NUMBER).op('0').int(5).stop().bytes();
    await expectCheckpointError(open(file({ pickles: { 0: notMagic } })), "pickle 1 holds int 5, not torch's magic number 0x1950a86a20f9469cfc6c");
    await expectCheckpointError(open(file({ pickles: { 1: int(1000) } })), 'protocol version is int 1000; only 1001, the one torch writes, is supported');
    await expectCheckpointError(open(file({ pickles: { 2: int(3) } })), 'sys_info (pickle 3) is int, not a dict');
    await expectCheckpointError(open(file({ pickles: { 2: sysInfoPickle({ protocolVersion: 1002 }) } })), 'protocol_version is int 1002, expected 1001');
    await expectCheckpointError(open(file({ pickles: { 2: sysInfoPickle({ littleEndian: false }) } })), 'little_endian is bool false: the file was written on a big-endian machine; only little-endian checkpoints are supported');
    await expectCheckpointError(open(file({ pickles: { 2: sysInfoPickle({ typeSizes: { short: 2, int: 8, long: 4 } }) } })), 'type_sizes.int is int 8, expected 4');
    await expectCheckpointError(open(file({ pickles: { 2: sysInfoPickle({ typeSizes: { short: 2, int: 4 } }) } })), 'type_sizes.long is missing, expected 4');
  });

  it('refuses a numel larger than the file before sizing anything from it', async () => {
    const spec = { storages: [{ ...storages[0]!, numel: 2 ** 50 }], tensors: tensors.slice(0, 1), keys: ['94000000000002'] };
    const start = pickleBytes(spec);
    await expectCheckpointError(open(file(spec)), `element count 12 at byte offset ${start} differs from the 1125899906842624 its persistent id declares`);
    const bytes = file({ ...spec, data: legacyBlock(2 ** 50, storages[0]!.bytes) });
    await expectCheckpointError(open(bytes), `its 4503599627370496 bytes from byte offset ${start + 8} run past the end of the file at byte offset ${bytes.length} (truncated)`);
    await expectCheckpointError(open(file({ ...spec, storages: [{ ...storages[0]!, numel: 2 ** 52, cls: 'DoubleStorage' }] })), "storage '94000000000002' declares 4503599627370496 torch.DoubleStorage elements, an absurd size");
  });

  it('refuses negative sizes, offsets and counts', async () => {
    await expectCheckpointError(open(file({ storages: storages.map((s, i) => (i === 0 ? { ...s, numel: -5 } : s)) })), "storage '94000000000002': element count must be a non-negative integer, got int -5");
    await expectCheckpointError(open(file({ tensors: [{ name: 'x', storage: '94000000000002', shape: [-2] }], keys: ['94000000000002'] })), 'size[0] must be a non-negative integer');
    await expectCheckpointError(open(file({ tensors: [{ name: 'x', storage: '94000000000002', shape: [2], offset: -1 }], keys: ['94000000000002'] })), 'storage offset must be a non-negative integer');
    const one = { storages: storages.slice(0, 1), tensors: tensors.slice(0, 1), keys: ['94000000000002'] };
    for (const count of [-1n, -(2n ** 63n), 2n ** 62n, 13n]) {
      await expectCheckpointError(open(legacyTorchFile({ ...one, data: legacyBlock(count, storages[0]!.bytes) })), `element count ${count} at byte offset ${pickleBytes(one)} differs from the 12 its persistent id declares`);
    }
  });

  it('refuses a data block whose count is not the numel the persistent id declares', async () => {
    const spec = { storages: [{ ...storages[0]!, numel: 4 }], tensors: [{ name: 'x', storage: '94000000000002', shape: [4] }], keys: ['94000000000002'] };
    await expectCheckpointError(open(legacyTorchFile(spec)), `storage '94000000000002' (data block 1 of 1): element count 12 at byte offset ${pickleBytes(spec)} differs from the 4 its persistent id declares`);
  });

  it('refuses key lists that do not name exactly the storages the object uses', async () => {
    await expectCheckpointError(open(file({ keys: [...keys, keys[0]!] })), "storage '94000000000003' is listed twice");
    await expectCheckpointError(open(file({ keys: [...keys, '7'] })), "storage '7' is listed but no persistent id in the object declares it");
    await expectCheckpointError(open(file({ keys: keys.slice(1) })), "storage '94000000000003' is used by the object but not listed, so its bytes cannot be found");
    await expectCheckpointError(open(file({ pickles: { 4: new PickleWriter().proto(2).emptyDict().stop().bytes() } })), 'storage key list (pickle 5) is dict, not a list');
    await expectCheckpointError(open(file({ pickles: { 4: new PickleWriter().proto(2).emptyList().int(3).append().stop().bytes() } })), 'storage key list (pickle 5): item 0 must be a str, got int');
  });

  it('refuses one storage declared with two sizes or types', async () => {
    const declaredTwice = (second: StorageSpec): Uint8Array => {
      const w = new PickleWriter().proto(2).emptyDict();
      writeTensor(w.str('a'), tensors[0]!, storages, { legacy: true }).setitem();
      return writeTensor(w.str('b'), tensors[0]!, [second], { legacy: true }).setitem().stop().bytes();
    };
    await expectCheckpointError(open(file({ pickles: { 3: declaredTwice({ ...storages[0]!, numel: 6 }) } })), "storage '94000000000002' is declared as 12 torch.FloatStorage elements and again as 6 torch.FloatStorage elements");
    await expectCheckpointError(open(file({ pickles: { 3: declaredTwice({ ...storages[0]!, cls: 'IntStorage' }) } })), 'and again as 12 torch.IntStorage elements');
  });

  it('refuses storage views and other persistent ids', async () => {
    const pid = (items: (w: PickleWriter) => PickleWriter): Uint8Array => items(new PickleWriter().proto(2).emptyDict().str('x').mark()).tuple().binpersid().setitem().stop().bytes();
    const view = pid((w) => w.str('storage').global('torch', 'FloatStorage').str('94000000000002').str('cpu').int(12).mark().str('9').int(0).int(48).tuple());
    await expectCheckpointError(open(file({ pickles: { 3: view } })), "storage '94000000000002' is a view into another storage (tuple view metadata), which is not supported");
    const module = pid((w) => w.str('module').none().str('model.py').str('class Net: ...'));
    await expectCheckpointError(open(file({ pickles: { 3: module } })), "unsupported persistent id: tuple of 4 items starting with str 'module'");
  });

  it('refuses bytes after the last data block', async () => {
    const bytes = file();
    const longer = Uint8Array.from([...bytes, 0]);
    await expectCheckpointError(open(longer), `the last data block ends at byte offset ${bytes.length} but the file goes on to byte offset ${bytes.length + 1}`);
  });

  it('names the byte offset where a truncated file ends and what was expected there', async () => {
    const bytes = file();
    const start = pickleBytes();
    const objectEnd = pickleBytes({ pickles: { 4: new Uint8Array(0) } });
    await expectCheckpointError(open(bytes.subarray(0, 10)), 'legacy torch file, pickle 1 of 5 (magic number): needs 10 more bytes but the pickle ends at byte offset 10 (truncated)');
    await expectCheckpointError(open(bytes.subarray(0, objectEnd - 40)), new RegExp(`^legacy torch file, pickle 4 of 5 \\(the object\\): .*ends at byte offset ${objectEnd - 40}`));
    await expectCheckpointError(open(bytes.subarray(0, start - 3)), new RegExp(`pickle 5 of 5 \\(storage keys\\): .*ends at byte offset ${start - 3}`));
    await expectCheckpointError(open(bytes.subarray(0, start)), `storage '94000000000003' (data block 1 of 3): the file ends at byte offset ${start}, where the block's 8-byte element count was expected at byte offset ${start} (truncated)`);
    await expectCheckpointError(open(bytes.subarray(0, start + 8 + 24 + 8 + 10)), `storage '94000000000002' (data block 2 of 3): its 48 bytes from byte offset ${start + 40} run past the end of the file at byte offset ${start + 50} (truncated)`);
  });

  it('refuses truncation at every cut point, opening or reading', async () => {
    const bytes = file({ style: { python2: true } });
    for (let cut = 0; cut < bytes.length; cut += 3) await expectCheckpointError(readAll(bytes.subarray(0, cut)), /./);
  });

  it("still refuses torch.save's tar format, saying so", async () => {
    const tar = new Uint8Array(1024);
    tar.set(new TextEncoder().encode('ustar'), 257);
    await expectCheckpointError(open(tar), "this is torch.save's tar format, from the earliest PyTorch releases, which is not supported");
  });
});
