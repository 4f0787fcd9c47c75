import { CheckpointError } from '../errors';

/**
 * What the restricted unpickler builds: plain data only. Lists are mutable arrays, tuples frozen
 * arrays, dicts Maps (OrderedDict included). Anything a global produced is a `PyObject` made by an
 * allow-listed handler (tensors, storage types, TorchScript module records): no code ever runs.
 */
export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | PyDict | PyObject;

export type PyDict = Map<PyValue, PyValue>;

/** A value made by an allow-listed global. `kind` discriminates. */
export interface PyObject {
  readonly kind: string;
}

/**
 * An allow-listed global. `call` serves REDUCE (and NEWOBJ when `construct` is absent); `build`
 * serves BUILD on what `call`/`construct` returned. Handlers only build data.
 */
export interface PyCallable extends PyObject {
  readonly kind: 'callable';
  readonly qualname: string;
  call(args: readonly PyValue[]): PyValue;
  construct?(args: readonly PyValue[]): PyValue;
}

/** A value that accepts BUILD (`__setstate__`). */
export interface PyBuildable extends PyObject {
  build(state: PyValue): void;
}

const dictAttributes = new WeakMap<PyDict, PyValue>();

/** BUILD on a dict: the attributes a Python dict subclass carried (an OrderedDict's `_metadata`). */
export const setDictAttributes = (d: PyDict, state: PyValue): void => void dictAttributes.set(d, state);

/** The attribute `name` BUILD gave a dict, if any. */
export function dictAttribute(d: PyDict, name: string): PyValue | undefined {
  const state = dictAttributes.get(d);
  return state instanceof Map ? state.get(name) : undefined;
}

export const tuple = (items: PyValue[]): PyValue[] => Object.freeze(items) as PyValue[];

export const isTuple = (v: PyValue): v is PyValue[] => Array.isArray(v) && Object.isFrozen(v);

export const isList = (v: PyValue): v is PyValue[] => Array.isArray(v) && !Object.isFrozen(v);

export const isDict = (v: PyValue): v is PyDict => v instanceof Map;

export const isObject = (v: PyValue): v is PyObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map) && !(v instanceof Uint8Array);

export const isCallable = (v: PyValue): v is PyCallable => isObject(v) && v.kind === 'callable';

export const isBuildable = (v: PyValue): v is PyBuildable & PyValue => isObject(v) && typeof (v as Partial<PyBuildable>).build === 'function';

/** A short description of a value's type for error messages. */
export function typeName(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  if (isTuple(v)) return 'tuple';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Map) return 'dict';
  return isCallable(v) ? `global ${v.qualname}` : v.kind;
}

/** A non-negative integer that fits a JS number, or an error naming `what`. */
export function asIndex(v: PyValue | undefined, what: string): number {
  const n = typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= 0n ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new CheckpointError(`${what} must be a non-negative integer, got ${v === undefined ? 'nothing' : typeName(v)} ${String(v)}`);
  }
  return n;
}

export function asIndexTuple(v: PyValue | undefined, what: string): number[] {
  if (v === undefined || !Array.isArray(v)) throw new CheckpointError(`${what} must be a tuple of integers, got ${v === undefined ? 'nothing' : typeName(v)}`);
  return v.map((d, i) => asIndex(d, `${what}[${i}]`));
}

export function asString(v: PyValue | undefined, what: string): string {
  if (typeof v !== 'string') throw new CheckpointError(`${what} must be a str, got ${v === undefined ? 'nothing' : typeName(v)}`);
  return v;
}
