import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { concatBytes } from '../../src/bytes/concat';
import { memorySource, openCheckpoint, openTorchObject, orderedDict, pyFloat, pyTuple, readTensorFloat32, torchSaveParts, type Picklable } from '../../src/checkpoint/index';
import { pickleProtocol2 } from '../../src/checkpoint/pickle-write';
import { openZip } from '../../src/checkpoint/zip';
import { stateDictParts } from '../../src/training/index';
import { describeWithFixtures, fixturePath } from '../fixtures';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

it("pickles as CPython 3.11's pickle.dumps(protocol=2): opcodes, memo by value for strings, 1000-item batches, LONG_BINPUT", () => {
  // pickle.dumps(OrderedDict([('a', [1, 2.5, None, True, False]), ('b', ('x', 'x', 'cpu')), ('c', (1, 2, 3, 4)),
  //   ('big', 70000), ('neg', -5), ('u', 'é'), ('e', ()), ('one', [7]), ('d', {'k': 1})]), protocol=2)
  const value = orderedDict([
    ['a', [1, pyFloat(2.5), null, true, false]], ['b', pyTuple('x', 'x', 'cpu')], ['c', pyTuple(1, 2, 3, 4)], ['big', 70000], ['neg', -5],
    ['u', 'é'], ['e', pyTuple()], ['one', [7]], ['d', new Map([['k', 1]])],
  ]);
  expect(hex(pickleProtocol2(value))).toBe(
    '800263636f6c6c656374696f6e730a4f726465726564446963740a7100295271012858010000006171025d7103284b014740040000000000004e888965580100000062710458010000007871056805580300000063707571068771075801000000637108284b014b024b034b047471095803000000626967710a4a7011010058030000006e6567710b4afbffffff580100000075710c5802000000c3a9710d580100000065710e2958030000006f6e65710f5d71104b076158010000006471117d711258010000006b71134b0173752e',
  );
  // pickle.dumps({'long': list(range(1001)), 'strs': ['s%d' % i for i in range(300)]}, protocol=2): 6126 bytes
  const big = pickleProtocol2(new Map<Picklable, Picklable>([['long', Array.from({ length: 1001 }, (_, i) => i)], ['strs', Array.from({ length: 300 }, (_, i) => `s${i}`)]]));
  expect([big.length, createHash('sha256').update(big).digest('hex')]).toEqual([6126, '9de783a40d207bceea73700c3633faae5a0a9915cf8c07ee20ba6f6bdb62d2e2']);
  const pairs = Array.from({ length: 1001 }, (_, i) => [i, i] as const);
  const digest = (v: Picklable) => createHash('sha256').update(pickleProtocol2(v)).digest('hex').slice(0, 16);
  // OrderedDict((i, i) for i in range(1001)) ends its items with SETITEM, {i: i for i in range(1001)} with a marked run of one.
  expect([digest(orderedDict(pairs)), digest(new Map(pairs))]).toEqual(['eb8fcfc93fc6bba7', '1c3b98559369f710']);
  expect(() => pickleProtocol2(0.5)).toThrow(/not an integer/);
});

it('writes a zip our reader opens, each stored entry 64-byte aligned, and tensors that read back as written', async () => {
  const w = Float32Array.from({ length: 6 }, (_, i) => i - 2.5);
  const bytes = concatBytes(torchSaveParts((tensor) => new Map<Picklable, Picklable>([['w', tensor(w, [2, 3], 'parameter')], ['s', tensor(Float32Array.of(4), [], 'tensor')], ['n', 3]])));
  const zip = await openZip(memorySource(bytes));
  expect([...zip.entries.keys()]).toEqual(['archive/data.pkl', 'archive/data/0', 'archive/data/1', 'archive/version']);
  for (const e of zip.entries.values()) {
    const local = new DataView(bytes.buffer, e.localHeaderOffset);
    expect((e.localHeaderOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true)) % 64).toBe(0);
  }
  const root = await openTorchObject(memorySource(bytes));
  const get = (k: string) => (root as Map<string, Parameters<typeof readTensorFloat32>[0]>).get(k)!;
  expect([...(await readTensorFloat32(get('w')))]).toEqual([...w]);
  expect(get('w').shape).toEqual([2, 3]);
  expect([...(await readTensorFloat32(get('s')))]).toEqual([4]);
  expect((root as Map<string, unknown>).get('n')).toBe(3);
  expect(() => torchSaveParts((tensor) => tensor(w, [4], 'tensor'))).toThrow(/6 values do not fill the shape \[4\]/);
});

describeWithFixtures('torch.save writer against a file TrainLoop saved', () => {
  it('writes train/A/model000002.pt again, byte for byte, from the tensors and _metadata our reader finds in it', async () => {
    const original = new Uint8Array(readFileSync(fixturePath('train', 'A', 'model000002.pt')));
    const ck = await openCheckpoint(memorySource(original));
    expect(ck.moduleMetadata?.get('time_embed.0')).toEqual(new Map([['version', 1]]));
    const shapes = new Map([...ck.tensors].map(([n, t]) => [n, t.shape] as const));
    const params = new Map(await Promise.all([...ck.tensors].map(async ([n, t]) => [n, await readTensorFloat32(t)] as const)));
    const rewritten = concatBytes(stateDictParts(params, shapes, ck.moduleMetadata));
    expect(rewritten.length).toBe(original.length);
    expect(createHash('sha256').update(rewritten).digest('hex')).toBe(createHash('sha256').update(original).digest('hex'));
    // Without the module metadata it is still a state dict torch.load reads, only shorter.
    const bare = concatBytes(stateDictParts(params, shapes));
    expect((await openCheckpoint(memorySource(bare))).tensors.size).toBe(ck.tensors.size);
    expect(bare.length).toBeLessThan(original.length);
  });
});
