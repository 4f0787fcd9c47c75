import { describe, expect, it } from 'vitest';
import { memorySource, openCheckpoint, readTensorFloat32 } from '../../src/checkpoint/index';
import { expectCheckpointError } from './helpers/expect-error';
import { PickleWriter } from './helpers/pickle-writer';
import { f32Bytes, scriptModule as module, scriptModulePickle, torchZip, writeTensor, type StorageSpec } from './helpers/torch-writer';

const storages: StorageSpec[] = [{ key: '0', cls: 'FloatStorage', bytes: f32Bytes([1, 2, 3, 4, 5, 6]) }];

const tensorAttr = (w: PickleWriter, name: string, offset: number, shape: number[]): PickleWriter =>
  writeTensor(w.str(name), { name, storage: '0', shape, offset }, storages);

function scriptedModel(): Uint8Array {
  const w = new PickleWriter().proto(2);
  module(w, 'model.___torch_mangle_3 Top', (a) => {
    tensorAttr(a, 'scale', 0, []);
    a.str('training').bool(false).str('_is_full_backward_hook').none();
    a.str('layers');
    module(a, 'torch.nn.modules.container Sequential', (b) => {
      b.str('0');
      module(b, 'torch.nn.modules.linear Linear', (c) => {
        tensorAttr(c, 'weight', 1, [2, 2]);
        tensorAttr(c, 'bias', 4, [2]);
      });
    });
  });
  return w.stop().bytes();
}

function constantsPickle(): Uint8Array {
  const w = new PickleWriter().proto(2).mark();
  writeTensor(w, { name: 'c', storage: '0', shape: [3] }, storages);
  return w.tuple().stop().bytes();
}

const archive = (pickle: Uint8Array): Uint8Array => torchZip({
  storages, pickle, prefix: 'anything',
  extra: [
    { name: 'anything/constants.pkl', data: constantsPickle() },
    { name: 'anything/constants/0', data: storages[0]!.bytes },
    { name: 'anything/code/__torch__/model.py', data: new TextEncoder().encode('class Top(Module): ...') },
  ],
});

describe('TorchScript archives', () => {
  it('flattens the module tree into state_dict names, ignoring non-tensor attributes', async () => {
    const ck = await openCheckpoint(memorySource(archive(scriptedModel())));
    expect(ck.format).toBe('torchscript');
    expect([...ck.tensors.keys()]).toEqual(['scale', 'layers.0.weight', 'layers.0.bias']);
    expect([...(await readTensorFloat32(ck.tensors.get('layers.0.weight')!))]).toEqual([2, 3, 4, 5]);
    expect([...(await readTensorFloat32(ck.tensors.get('layers.0.bias')!))]).toEqual([5, 6]);
    expect(ck.constants).toHaveLength(1);
    expect([...(await readTensorFloat32(ck.constants[0]!))]).toEqual([1, 2, 3]);
  });

  it('stops at a module that contains itself', async () => {
    const w = new PickleWriter().proto(2).global('__torch__.m', 'M').emptyTuple().newobj().put(0).emptyDict().str('self').get(0).setitem().build().stop();
    await expectCheckpointError(openCheckpoint(memorySource(archive(w.bytes()))), "TorchScript module 'self.self.self.");
    await expectCheckpointError(openCheckpoint(memorySource(archive(w.bytes()))), 'nested deeper than 256 levels (or cyclic)');
  });

  it('stops a shared-submodule graph whose expansion would be exponential', async () => {
    const w = new PickleWriter().proto(2);
    module(w, 'm Leaf', (a) => tensorAttr(a, 'w', 0, [1])).put(0);
    for (let i = 1; i < 200; i++) module(w, 'm Node', (a) => a.str('a').get(i - 1).str('b').get(i - 1)).put(i);
    await expectCheckpointError(openCheckpoint(memorySource(archive(w.stop().bytes()))), 'more than 1000000 nested values');
  });

  it('reads a module tree written from dotted state_dict names back under the same names', async () => {
    const tensors = [{ name: 'scale', storage: '0', shape: [] }, { name: 'visual.conv1.weight', storage: '0', shape: [2, 2], offset: 1 }, { name: 'visual.ln.bias', storage: '0', shape: [2], offset: 4 }];
    const ck = await openCheckpoint(memorySource(archive(scriptModulePickle(tensors, storages))));
    expect(ck.format).toBe('torchscript');
    expect([...ck.tensors.keys()]).toEqual(['scale', 'visual.conv1.weight', 'visual.ln.bias']);
    expect([...(await readTensorFloat32(ck.tensors.get('visual.ln.bias')!))]).toEqual([5, 6]);
  });
});
