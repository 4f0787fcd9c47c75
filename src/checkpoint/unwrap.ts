import { CheckpointError } from '../errors';
import { LIMITS } from './limits';
import { dictAttribute, isDict, typeName, type PyDict, type PyValue } from './pickle-values';
import type { Tensor } from './tensor';
import { attributesOf, isTensor, isTorchScriptObject, type TorchScriptObject } from './torch-globals';

/** Keys that wrap a state dict in training checkpoints, most specific first (SwinIR uses params_ema). */
const WRAPPER_KEYS = ['params_ema', 'params', 'state_dict', 'model_state_dict', 'model', 'module'];

export interface StateDict {
  readonly tensors: Map<string, Tensor>;
  /** The wrapper keys descended into, and 'module.' when that prefix was stripped. */
  readonly unwrapped: string[];
  /** `state_dict()._metadata` (module prefix → {'version': n}), which torch.load hands to load_state_dict; absent when the file has none. */
  readonly moduleMetadata?: ModuleMetadata;
}

export type ModuleMetadata = ReadonlyMap<string, ReadonlyMap<string, number>>;

/** A dict's `_metadata` when it has torch's shape (prefix → dict of int fields); anything else is ignored. */
function moduleMetadataOf(dict: PyDict): ModuleMetadata | undefined {
  const m = dictAttribute(dict, '_metadata');
  if (m === undefined || !isDict(m)) return undefined;
  const fields = (v: PyValue) => isDict(v) && [...v].every(([k, n]) => typeof k === 'string' && Number.isSafeInteger(n));
  return [...m].every(([k, v]) => typeof k === 'string' && fields(v)) ? (m as unknown as ModuleMetadata) : undefined;
}

/** Counts the nodes a walk visits: shared sub-values could otherwise make a walk exponential. */
class WalkBudget {
  private nodes = 0;

  visit(depth: number, where: string): void {
    if (depth > LIMITS.maxWalkDepth) throw new CheckpointError(`${where}: nested deeper than ${LIMITS.maxWalkDepth} levels (or cyclic)`);
    if (++this.nodes > LIMITS.maxWalkNodes) throw new CheckpointError(`${where}: more than ${LIMITS.maxWalkNodes} nested values`);
  }
}

/**
 * A TorchScript module tree flattened as `model.state_dict()` names it: every tensor attribute
 * (parameters and buffers) under its dotted path; flags such as `training` are dropped.
 */
export function flattenModule(root: TorchScriptObject): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const budget = new WalkBudget();
  const walk = (obj: TorchScriptObject, prefix: string, depth: number): void => {
    budget.visit(depth, `TorchScript module '${prefix || obj.qualname}'`);
    for (const [key, value] of attributesOf(obj)) {
      if (typeof key !== 'string') continue;
      if (isTensor(value)) out.set(prefix + key, value);
      else if (isTorchScriptObject(value)) walk(value, `${prefix}${key}.`, depth + 1);
    }
  };
  walk(root, '', 0);
  return out;
}

function tensorsOf(dict: ReadonlyMap<PyValue, PyValue>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [key, value] of dict) if (typeof key === 'string' && isTensor(value)) out.set(key, value);
  return out;
}

function describeKeys(dict: ReadonlyMap<PyValue, PyValue>): string {
  const keys = [...dict.keys()].slice(0, 10).map((k) => (typeof k === 'string' ? `'${k}'` : typeName(k)));
  return keys.length ? keys.join(', ') : 'none';
}

function stripModulePrefix(sd: StateDict): StateDict {
  const keys = [...sd.tensors.keys()];
  if (!keys.every((k) => k.startsWith('module.'))) return sd;
  return { tensors: new Map([...sd.tensors].map(([k, v]) => [k.slice('module.'.length), v])), unwrapped: [...sd.unwrapped, 'module.'] };
}

/** Finds the state dict in what a checkpoint unpickled to: a dict of tensors, a wrapper around one, or a TorchScript module. */
export function findStateDict(root: PyValue): StateDict {
  const unwrapped: string[] = [];
  let value = root;
  for (let depth = 0; ; depth++) {
    if (depth > LIMITS.maxWalkDepth) throw new CheckpointError(`state dict wrapped more than ${LIMITS.maxWalkDepth} levels deep`);
    if (isTorchScriptObject(value)) return stripModulePrefix({ tensors: flattenModule(value), unwrapped });
    if (!isDict(value)) throw new CheckpointError(`checkpoint holds ${typeName(value)}${unwrapped.length ? ` under '${unwrapped.join('.')}'` : ''}, not a state dict`);
    const dict = value;
    const wrapper = WRAPPER_KEYS.find((k) => dict.has(k) && (isDict(dict.get(k)!) || isTorchScriptObject(dict.get(k)!)));
    if (wrapper) {
      unwrapped.push(wrapper);
      value = dict.get(wrapper)!;
      continue;
    }
    const tensors = tensorsOf(dict);
    if (tensors.size === 0) throw new CheckpointError(`no tensors found in the checkpoint's dict (keys: ${describeKeys(dict)})`);
    const moduleMetadata = moduleMetadataOf(dict);
    return stripModulePrefix({ tensors, unwrapped, ...(moduleMetadata && { moduleMetadata }) });
  }
}
