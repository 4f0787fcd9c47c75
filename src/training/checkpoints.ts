import {
  isDict, isList, isTensor, openCheckpoint, openTorchObject, orderedDict, pyFloat, pyTuple, readTensorFloat32, torchSaveParts,
  type ByteSource, type ModuleMetadata, type Picklable, type PyValue,
} from '../checkpoint/index';
import { CheckpointError } from '../errors';
import { adamWState, parseResumeStep, type AdamWOptions, type AdamWState, type Tensors } from './optimizer';
import { pyFloatRepr } from './python-format';

/**
 * TrainLoop.save()'s files and their loading on resume (seed-spec §12): `model{step:06d}.pt` and
 * `ema_{rate}_{step:06d}.pt` hold the parameters as nn.Parameters under their state-dict names,
 * with the module tree's `_metadata` of the checkpoint training started from; `opt{step:06d}.pt`
 * holds torch 1.13 AdamW's state_dict(). torch.load reads all three, and so does our reader.
 */

const step6 = (step: number): string => String(step).padStart(6, '0');

export const modelFileName = (step: number): string => `model${step6(step)}.pt`;
/** The rate as Python's str(float) prints it: 0.9999, 0.5, 1.0. */
export const emaFileName = (rate: number, step: number): string => `ema_${pyFloatRepr(rate)}_${step6(step)}.pt`;
export const optFileName = (step: number): string => `opt${step6(step)}.pt`;

/** The parameters' names in the model's order, and their shapes. */
export type ParamShapes = ReadonlyMap<string, readonly number[]>;

const metadataValue = (m: ModuleMetadata): Picklable => new Map([['_metadata', orderedDict([...m].map(([k, v]) => [k, new Map(v)]))]]);

/** master_params_to_state_dict saved: an OrderedDict of Parameters, `_metadata` when the start checkpoint had one. */
export const stateDictParts = (params: Tensors, shapes: ParamShapes, metadata?: ModuleMetadata): Uint8Array[] =>
  torchSaveParts((tensor) => orderedDict([...shapes].map(([n, s]) => [n, tensor(params.get(n)!, s, 'parameter')]), metadata && metadataValue(metadata)));

/** AdamW.state_dict() saved: per parameter index its step (a float32 0-d tensor) and moments, then the one param group. */
export const optimizerParts = (state: AdamWState, shapes: ParamShapes, group: AdamWOptions): Uint8Array[] =>
  torchSaveParts((tensor) => new Map<Picklable, Picklable>([
    ['state', new Map([...shapes].map(([n, s], i) => [i, new Map<Picklable, Picklable>([
      ['step', tensor(Float32Array.of(state.step), [], 'tensor')],
      ['exp_avg', tensor(state.expAvg.get(n)!, s, 'tensor')],
      ['exp_avg_sq', tensor(state.expAvgSq.get(n)!, s, 'tensor')],
    ])]))],
    ['param_groups', [new Map<Picklable, Picklable>([
      ['lr', pyFloat(group.lr)],
      ['betas', pyTuple(pyFloat(group.betas[0]), pyFloat(group.betas[1]))],
      ['eps', pyFloat(group.eps)],
      ['weight_decay', pyFloat(group.weightDecay)],
      ['amsgrad', false],
      ['foreach', null],
      ['maximize', false],
      ['capturable', false],
      ['params', [...shapes.keys()].map((_, i) => i)],
    ])]],
  ]));

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** A model or EMA file's parameters, each checked against the model's shape. */
export async function readParams(source: ByteSource, shapes: ParamShapes, file: string): Promise<{ params: Tensors; metadata?: ModuleMetadata }> {
  const ck = await openCheckpoint(source);
  const params: Tensors = new Map();
  for (const [name, shape] of shapes) {
    const t = ck.tensors.get(name);
    if (!t) throw new CheckpointError(`${file} has no tensor '${name}'`);
    if (!sameShape(t.shape, shape)) throw new CheckpointError(`${file}: '${name}' has shape [${t.shape.join(', ')}], the model's is [${shape.join(', ')}]`);
    params.set(name, (await readTensorFloat32(t)).slice());
  }
  return { params, ...(ck.moduleMetadata && { metadata: ck.moduleMetadata }) };
}

const field = (d: PyValue, key: string, file: string): PyValue => {
  if (!isDict(d) || !d.has(key)) throw new CheckpointError(`${file}: expected AdamW's state_dict with '${key}'`);
  return d.get(key)!;
};

const number = (v: PyValue, what: string): number => {
  if (typeof v !== 'number') throw new CheckpointError(`${what} is not a number`);
  return v;
};

/** An opt file: the moments per parameter (by index, in the model's order), the step and the param group, which load_state_dict restores. */
export async function readOptimizer(source: ByteSource, shapes: ParamShapes, file: string): Promise<{ state: AdamWState; group: AdamWOptions }> {
  const root = await openTorchObject(source);
  const groups = field(root, 'param_groups', file);
  if (!isList(groups) || groups.length !== 1) throw new CheckpointError(`${file}: expected one param group`);
  const g = groups[0]!;
  const params = field(g, 'params', file);
  if (!isList(params) || params.length !== shapes.size) throw new CheckpointError(`${file}: its param group has ${isList(params) ? params.length : 'no'} parameters, the model ${shapes.size}`);
  const betas = field(g, 'betas', file);
  if (!Array.isArray(betas) || betas.length !== 2) throw new CheckpointError(`${file}: betas is not a pair`);
  const group: AdamWOptions = {
    lr: number(field(g, 'lr', file), `${file}: lr`),
    betas: [number(betas[0]!, `${file}: betas[0]`), number(betas[1]!, `${file}: betas[1]`)],
    eps: number(field(g, 'eps', file), `${file}: eps`),
    weightDecay: number(field(g, 'weight_decay', file), `${file}: weight_decay`),
  };
  const perParam = field(root, 'state', file);
  const state = adamWState(new Map([...shapes].map(([n, s]) => [n, new Float32Array(s.reduce((a, b) => a * b, 1))])));
  const steps = new Set<number>();
  for (const [i, [name, shape]] of [...shapes].entries()) {
    const entry = isDict(perParam) ? perParam.get(params[i]!) : undefined;
    if (entry === undefined) continue; // a parameter that never had a gradient has no state, as in torch
    const tensorAt = async (key: string, expected: readonly number[]) => {
      const t = field(entry, key, file);
      if (!isTensor(t) || !sameShape(t.shape, expected)) throw new CheckpointError(`${file}: state of '${name}' has a bad '${key}'`);
      return readTensorFloat32(t);
    };
    steps.add((await tensorAt('step', []))[0]!);
    state.expAvg.get(name)!.set(await tensorAt('exp_avg', shape));
    state.expAvgSq.get(name)!.set(await tensorAt('exp_avg_sq', shape));
  }
  if (steps.size > 1) throw new CheckpointError(`${file}: the parameters' AdamW steps differ (${[...steps].join(', ')}), which one optimizer step per batch never gives`);
  state.step = steps.size ? [...steps][0]! : 0;
  return { state, group };
}

/** What training starts from: the parameters, one EMA per rate, the optimizer and TrainLoop's resume step. */
export interface TrainingStart {
  readonly resumeStep: number;
  readonly params: Tensors;
  readonly emas: Tensors[];
  /** Present when resumed from an opt file; a fresh AdamW otherwise. */
  readonly optimizer?: { readonly state: AdamWState; readonly group: AdamWOptions };
  readonly metadata?: ModuleMetadata;
  /** What was loaded, in train.py's log words ("loading EMA from checkpoint: …"). */
  readonly log: readonly string[];
}

/** Runs `work` on the file `name` beside the model file, closing it after; undefined when there is no such file. */
export type Sibling = <T>(name: string, work: (source: ByteSource) => Promise<T>) => Promise<T | undefined>;

/**
 * _load_and_sync_parameters, _load_optimizer_state and _load_ema_parameters: the resume step parsed
 * from the whole path; only when it is not 0 are `opt{step}.pt` and `ema_{rate}_{step}.pt` looked up
 * beside the model file (`sibling` reads one by name); an EMA without its
 * file starts as a copy of the parameters.
 */
export async function loadTrainingStart(path: string, model: ByteSource, sibling: Sibling, shapes: ParamShapes, rates: readonly number[]): Promise<TrainingStart> {
  const resumeStep = parseResumeStep(path);
  const log = [`loading model from checkpoint: ${path}...`];
  const { params, metadata } = await readParams(model, shapes, path);
  const copy = () => new Map([...params].map(([n, p]) => [n, p.slice()]));
  if (!resumeStep) return { resumeStep, params, emas: rates.map(copy), log, ...(metadata && { metadata }) };
  const optName = optFileName(resumeStep);
  const optimizer = await sibling(optName, (source) => readOptimizer(source, shapes, optName));
  if (optimizer) log.push(`loading optimizer state from checkpoint: ${optName}`);
  const emas: Tensors[] = [];
  for (const rate of rates) {
    const name = emaFileName(rate, resumeStep);
    const ema = await sibling(name, async (source) => (await readParams(source, shapes, name)).params);
    if (ema) log.push(`loading EMA from checkpoint: ${name}...`);
    emas.push(ema ?? copy());
  }
  return { resumeStep, params, emas, log, ...(optimizer && { optimizer }), ...(metadata && { metadata }) };
}
