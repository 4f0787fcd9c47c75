import { CheckpointError } from '../errors';
import { DTYPE_BYTES, type DType } from './dtype';
import {
  asIndex, asIndexTuple, asString, isCallable, isDict, isObject, isTuple, tuple, typeName,
  type PyBuildable, type PyCallable, type PyValue,
} from './pickle-values';
import { makeTensor, type Storage, type Tensor } from './tensor';

/** `torch.FloatStorage` and friends: only a dtype tag, named in persistent ids. */
export interface StorageType {
  readonly kind: 'storage-type';
  readonly qualname: string;
  readonly dtype: DType;
}

/** A storage as a persistent id resolves it: bytes plus the dtype the pickle views them as. */
export interface TypedStorage {
  readonly kind: 'typed-storage';
  readonly dtype: DType;
  readonly storage: Storage;
}

/**
 * An instance of a TorchScript class (`__torch__.model.CLIP`, `__torch__.torch.nn.modules.linear.Linear`, ...):
 * NEWOBJ makes an empty record, BUILD stores its attribute dict. No class code exists or runs here.
 */
export class TorchScriptObject implements PyBuildable {
  readonly kind = 'torchscript-object';
  state: PyValue = null;

  constructor(readonly qualname: string) {}

  build(state: PyValue): void {
    this.state = state;
  }
}

const STORAGE_DTYPES: Readonly<Record<string, DType>> = {
  DoubleStorage: 'F64', FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL', UntypedStorage: 'U8',
};

const callable = (qualname: string, call: (args: readonly PyValue[]) => PyValue): PyCallable => ({ kind: 'callable', qualname, call });

/** A type that is only ever an argument (of `_rebuild_from_type_v2`), never called. */
const typeTag = (qualname: string): PyCallable => callable(qualname, () => {
  throw new CheckpointError(`calling ${qualname} is not supported`);
});

function rebuildTensor(qualname: string, args: readonly PyValue[]): Tensor {
  const [storage, offset, size, stride] = args;
  if (!isObject(storage as PyValue) || (storage as TypedStorage).kind !== 'typed-storage') {
    throw new CheckpointError(`${qualname}: first argument must be a storage, got ${storage === undefined ? 'nothing' : typeName(storage)}`);
  }
  const typed = storage as TypedStorage;
  const where = `${qualname} on storage '${typed.storage.key}'`;
  return makeTensor(typed.dtype, asIndexTuple(size, `${where}: size`), asIndexTuple(stride, `${where}: stride`), asIndex(offset, `${where}: storage offset`), typed.storage);
}

function asTensor(v: PyValue | undefined, qualname: string): Tensor {
  if (v !== undefined && isObject(v) && v.kind === 'tensor') return v as Tensor;
  throw new CheckpointError(`${qualname}: expected a tensor, got ${v === undefined ? 'nothing' : typeName(v)}`);
}

function orderedDict(args: readonly PyValue[]): PyValue {
  const [items] = args;
  const map = new Map<PyValue, PyValue>();
  if (items === undefined) return map;
  if (!Array.isArray(items)) throw new CheckpointError(`collections.OrderedDict: expected a list of pairs, got ${typeName(items)}`);
  // Python 2's pickler wrote the items as [key, value] lists, not tuples.
  for (const pair of items) {
    if (!Array.isArray(pair) || pair.length !== 2) throw new CheckpointError('collections.OrderedDict: every item must be a (key, value) pair');
    map.set(pair[0]!, pair[1]!);
  }
  return map;
}

function rebuildFromType(args: readonly PyValue[]): PyValue {
  const [func, newType, funcArgs] = args;
  const allowedType = newType !== undefined && isCallable(newType) && (newType.qualname === 'torch.Tensor' || newType.qualname === 'torch.nn.parameter.Parameter');
  if (func === undefined || !isCallable(func) || !allowedType || funcArgs === undefined || !isTuple(funcArgs)) {
    throw new CheckpointError('torch._tensor._rebuild_from_type_v2: only plain tensors and parameters are supported');
  }
  return func.call(funcArgs);
}

const identity = (qualname: string): PyCallable => callable(qualname, (args) => args[0] ?? null);

const FUNCTIONS: readonly PyCallable[] = [
  callable('torch._utils._rebuild_tensor_v2', (a) => rebuildTensor('torch._utils._rebuild_tensor_v2', a)),
  callable('torch._utils._rebuild_tensor', (a) => rebuildTensor('torch._utils._rebuild_tensor', a)),
  callable('torch._utils._rebuild_parameter', (a) => asTensor(a[0], 'torch._utils._rebuild_parameter')),
  callable('torch._utils._rebuild_parameter_with_state', (a) => asTensor(a[0], 'torch._utils._rebuild_parameter_with_state')),
  callable('torch._tensor._rebuild_from_type_v2', rebuildFromType),
  callable('collections.OrderedDict', orderedDict),
  callable('torch.Size', (a) => tuple(asIndexTuple(a[0], 'torch.Size'))),
  typeTag('torch.Tensor'),
  typeTag('torch.nn.parameter.Parameter'),
  // TorchScript wraps typed lists in these; they return their argument.
  ...['build_intlist', 'build_tensorlist', 'build_doublelist', 'build_boollist', 'build_genericlist', 'restore_type_tag']
    .map((n) => identity(`torch.jit._pickle.${n}`)),
];

const BY_NAME = new Map(FUNCTIONS.map((f) => [f.qualname, f]));

const TORCHSCRIPT_CLASS = /^__torch__(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

function torchScriptClass(qualname: string): PyCallable {
  return {
    kind: 'callable',
    qualname,
    call: () => {
      throw new CheckpointError(`calling TorchScript class ${qualname} is not supported`);
    },
    construct: () => new TorchScriptObject(qualname),
  };
}

/**
 * The allow-list: every global a torch state dict or TorchScript archive needs. Everything else
 * (os.system, builtins.eval, subprocess.Popen, ...) is refused by name; nothing is imported or run.
 */
export function torchGlobal(module: string, name: string): PyValue {
  const qualname = `${module}.${name}`;
  const known = BY_NAME.get(qualname);
  if (known) return known;
  const storageDtype = module === 'torch' && Object.hasOwn(STORAGE_DTYPES, name) ? STORAGE_DTYPES[name] : undefined;
  if (storageDtype) return { kind: 'storage-type', qualname, dtype: storageDtype } satisfies StorageType as PyValue;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && TORCHSCRIPT_CLASS.test(module)) return torchScriptClass(qualname);
  throw new CheckpointError(`refusing global '${qualname}': it is not one of the tensor, storage or container types a checkpoint needs (loading it could run code)`);
}

/** What a persistent id says about its storage, before anything is known of its bytes. */
export interface DeclaredStorage {
  readonly dtype: DType;
  /** Elements of `dtype`. */
  readonly count: number;
  /** The storage type, for messages: 'torch.FloatStorage', ... */
  readonly qualname: string;
}

/**
 * Resolves torch's persistent ids `('storage', StorageType, key, location, numel)` (the legacy format
 * adds a sixth item, view metadata, None unless the storage is a view) to the record `storageFor(key)`
 * returns, checking that the declared element count fits the record. The location is ignored: every
 * storage is read to the CPU.
 */
export function torchPersistentLoad(pid: PyValue, storageFor: (key: string, declared: DeclaredStorage) => Storage): PyValue {
  if (!isTuple(pid) || pid[0] !== 'storage' || pid.length < 5 || pid.length > 6) {
    const got = isTuple(pid) ? `tuple of ${pid.length} items starting with ${typeName(pid[0] ?? null)} '${String(pid[0]).slice(0, 20)}'` : typeName(pid);
    throw new CheckpointError(`unsupported persistent id: ${got}, expected ('storage', type, key, location, numel)`);
  }
  const type = pid[1]!;
  if (!isObject(type) || type.kind !== 'storage-type') throw new CheckpointError(`persistent id names ${typeName(type)}, not a storage type`);
  const { dtype, qualname } = type as StorageType;
  const key = asString(pid[2], 'storage key');
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(key) || key.includes('..')) throw new CheckpointError(`invalid storage key '${key.slice(0, 80)}'`);
  const count = asIndex(pid[4], `storage '${key}': element count`);
  // Old torch versions could save a storage as a view into another; such files are not read.
  if ((pid[5] ?? null) !== null) throw new CheckpointError(`storage '${key}' is a view into another storage (${typeName(pid[5]!)} view metadata), which is not supported`);
  const storage = storageFor(key, { dtype, count, qualname });
  if (count * DTYPE_BYTES[dtype] > storage.byteLength) {
    throw new CheckpointError(`storage '${key}' declares ${count} ${qualname} elements (${count * DTYPE_BYTES[dtype]} bytes) but its record holds ${storage.byteLength} bytes`);
  }
  return { kind: 'typed-storage', dtype, storage } satisfies TypedStorage as PyValue;
}

export const isTorchScriptObject = (v: PyValue): v is TorchScriptObject & PyValue => v instanceof TorchScriptObject;

export const isTensor = (v: PyValue): v is Tensor & PyValue => isObject(v) && v.kind === 'tensor';

export const attributesOf = (o: TorchScriptObject): ReadonlyMap<PyValue, PyValue> => (isDict(o.state) ? o.state : new Map());
