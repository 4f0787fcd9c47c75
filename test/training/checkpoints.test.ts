import { expect, it } from 'vitest';
import { concatBytes } from '../../src/bytes/concat';
import { memorySource, orderedDict, pyFloat, torchSaveParts, type ByteSource } from '../../src/checkpoint/index';
import {
  adamWState, adamWStep, emaFileName, loadTrainingStart, modelFileName, optFileName, optimizerParts, readOptimizer, stateDictParts, type Sibling, type Tensors,
} from '../../src/training/index';

const shapes = new Map([['a.weight', [2, 3]], ['a.bias', [2]]] as const);
const tensors = (base: number): Tensors => new Map([...shapes].map(([n, s], k) => [n, Float32Array.from({ length: s.reduce((x, y) => x * y, 1) }, (_, i) => base + k + i / 8)]));
const source = (parts: Uint8Array[]): ByteSource => memorySource(concatBytes(parts));
const group = { lr: 1e-3, betas: [0.9, 0.999] as const, eps: 1e-8, weightDecay: 0.05 };

it('names files as TrainLoop.save() does, the EMA rate as Python prints it', () => {
  expect([modelFileName(0), emaFileName(0.9999, 500), emaFileName(1, 7), optFileName(1234567)]).toEqual(['model000000.pt', 'ema_0.9999_000500.pt', 'ema_1.0_000007.pt', 'opt1234567.pt']);
});

it('resumes the parameters, each EMA and AdamW from the files beside the model, bit for bit, when the name carries a step', async () => {
  const params = tensors(1);
  const state = adamWState(params);
  adamWStep(params, tensors(-0.5), state, group);
  const files = new Map([
    [optFileName(12), optimizerParts(state, shapes, { ...group, lr: 7e-4 })],
    [emaFileName(0.9, 12), stateDictParts(tensors(3), shapes)],
  ]);
  const sibling: Sibling = async (name, work) => (files.has(name) ? work(source(files.get(name)!)) : undefined);
  const start = await loadTrainingStart('runs/x/model000012.pt', source(stateDictParts(params, shapes)), sibling, shapes, [0.9, 0.5]);
  expect(start.resumeStep).toBe(12);
  expect(start.params).toEqual(params);
  expect(start.emas[0]).toEqual(tensors(3));
  // No ema_0.5_000012.pt: that EMA starts from the parameters, as _load_ema_parameters leaves it.
  expect(start.emas[1]).toEqual(params);
  expect(start.optimizer?.state).toEqual(state);
  expect(start.optimizer?.group).toEqual({ ...group, lr: 7e-4 });
  expect(start.log).toEqual(['loading model from checkpoint: runs/x/model000012.pt...', 'loading optimizer state from checkpoint: opt000012.pt', 'loading EMA from checkpoint: ema_0.9_000012.pt...']);
  // A start file without a step in its name: nothing else is looked for, every EMA is a copy.
  const fresh = await loadTrainingStart('pretrained/lsun_uncond_100M_1200K_bs128.pt', source(stateDictParts(params, shapes)), () => Promise.reject(new Error('looked up')), shapes, [0.9999]);
  expect([fresh.resumeStep, fresh.optimizer, fresh.emas]).toEqual([0, undefined, [params]]);
});

it('refuses files that do not fit the model, naming what does not', async () => {
  const other = new Map([['a.weight', [3, 2]], ['a.bias', [2]]] as const);
  await expect(loadTrainingStart('model000001.pt', source(stateDictParts(tensors(0), other)), async () => undefined, shapes, [])).rejects.toThrow(/'a\.weight' has shape \[3, 2\], the model's is \[2, 3\]/);
  await expect(loadTrainingStart('model000001.pt', source(stateDictParts(new Map([['a.bias', new Float32Array(2)]]), new Map([['a.bias', [2]]]))), async () => undefined, shapes, [])).rejects.toThrow(/has no tensor 'a\.weight'/);
  const fewer = optimizerParts(adamWState(new Map([['a.bias', new Float32Array(2)]])), new Map([['a.bias', [2]]]), group);
  await expect(readOptimizer(source(fewer), shapes, 'opt000001.pt')).rejects.toThrow(/param group has 1 parameters, the model 2/);
  const notAdam = torchSaveParts(() => orderedDict([['lr', pyFloat(1)]]));
  await expect(readOptimizer(source(notAdam), shapes, 'opt000001.pt')).rejects.toThrow(/expected AdamW's state_dict with 'param_groups'/);
});
