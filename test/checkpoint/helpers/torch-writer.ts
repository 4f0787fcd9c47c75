import { PickleWriter } from './pickle-writer';
import { writeZip, type ZipInput, type ZipOptions } from './zip-writer';

export interface StorageSpec {
  readonly key: string;
  /** A torch storage class name: FloatStorage, HalfStorage, BFloat16Storage, LongStorage, ... */
  readonly cls: string;
  readonly bytes: Uint8Array;
  /** Element count written in the persistent id; the record's true count by default. */
  readonly numel?: number;
}

export interface TensorSpec {
  readonly name: string;
  readonly storage: string;
  readonly shape: readonly number[];
  readonly strides?: readonly number[];
  readonly offset?: number;
}

export const ITEM_BYTES: Readonly<Record<string, number>> = {
  DoubleStorage: 8, FloatStorage: 4, HalfStorage: 2, BFloat16Storage: 2, LongStorage: 8, IntStorage: 4, ShortStorage: 2,
  CharStorage: 1, ByteStorage: 1, BoolStorage: 1,
};

export const rowMajorStrides = (shape: readonly number[]): number[] => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));

/** How torch pickled a state dict: by default as torch >= 1.6 does inside a zip archive. */
export interface PickleStyle {
  /** torch's legacy format: every persistent id ends with view metadata (None). */
  readonly legacy?: boolean;
  /**
   * The legacy format as Python 2 wrote it (implies `legacy`): SHORT_BINSTRING strings, LONG1 numels,
   * None backward hooks, the OrderedDict made from a list of [key, value] lists.
   */
  readonly python2?: boolean;
  /** The storages' device tag: 'cpu' by default (the real LPIPS weights say 'cuda:0'). */
  readonly location?: string;
}

const text = (w: PickleWriter, s: string, style: PickleStyle): PickleWriter => (style.python2 ? w.binstring(s) : w.str(s));

/** `_rebuild_tensor_v2((storage pid), offset, size, stride, False, OrderedDict())` as torch pickles it. */
export function writeTensor(w: PickleWriter, t: TensorSpec, storages: readonly StorageSpec[], style: PickleStyle = {}): PickleWriter {
  const s = storages.find((x) => x.key === t.storage);
  if (!s) throw new Error(`test bug: no storage ${t.storage}`);
  w.global('torch._utils', '_rebuild_tensor_v2').mark();
  text(text(text(w.mark(), 'storage', style).global('torch', s.cls), s.key, style), style.location ?? 'cpu', style);
  const numel = s.numel ?? s.bytes.length / ITEM_BYTES[s.cls]!;
  if (style.python2) w.long1(numel).none();
  else if (style.legacy) w.int(numel).none();
  else w.int(numel);
  w.tuple().binpersid();
  w.int(t.offset ?? 0).ints(t.shape).ints(t.strides ?? rowMajorStrides(t.shape)).bool(false);
  if (style.python2) w.none();
  else w.global('collections', 'OrderedDict').emptyTuple().reduce();
  return w.tuple().reduce();
}

/** An OrderedDict state dict, optionally inside `{wrap[0]: {wrap[1]: ...}}`, with torch's `_metadata` BUILD. */
export function statePickle(tensors: readonly TensorSpec[], storages: readonly StorageSpec[], wrap: readonly string[] = [], style: PickleStyle = {}): Uint8Array {
  const w = new PickleWriter().proto(2);
  for (const key of wrap) text(w.emptyDict(), key, style);
  w.global('collections', 'OrderedDict');
  if (style.python2) {
    w.emptyList().mark();
    for (const t of tensors) writeTensor(text(w.emptyList().mark(), t.name, style), t, storages, style).appends();
    w.appends().tuple1().reduce();
  } else {
    w.emptyTuple().reduce().mark();
    for (const t of tensors) writeTensor(w.str(t.name), t, storages, style);
    w.setitems();
  }
  text(w.emptyDict(), '_metadata', style).global('collections', 'OrderedDict').emptyTuple().reduce().setitem().build();
  for (let i = 0; i < wrap.length; i++) w.setitem();
  return w.stop().bytes();
}

/** `__torch__.<module>.<name>()` with attributes set by BUILD, as torch.jit.save pickles a module; `cls` is 'module Name'; `attrs` writes key/value pairs. */
export function scriptModule(w: PickleWriter, cls: string, attrs: (w: PickleWriter) => void): PickleWriter {
  w.global(`__torch__.${cls.split(' ')[0]!}`, cls.split(' ')[1]!).emptyTuple().newobj().emptyDict().mark();
  attrs(w);
  return w.setitems().build();
}

interface ModuleNode {
  readonly tensors: [string, TensorSpec][];
  readonly children: Map<string, ModuleNode>;
}

function moduleTree(tensors: readonly TensorSpec[]): ModuleNode {
  const root: ModuleNode = { tensors: [], children: new Map() };
  for (const t of tensors) {
    const path = t.name.split('.');
    let node = root;
    for (const part of path.slice(0, -1)) {
      if (!node.children.has(part)) node.children.set(part, { tensors: [], children: new Map() });
      node = node.children.get(part)!;
    }
    node.tensors.push([path.at(-1)!, t]);
  }
  return root;
}

function writeModuleNode(w: PickleWriter, node: ModuleNode, cls: string, storages: readonly StorageSpec[]): void {
  scriptModule(w, cls, (a) => {
    for (const [attr, t] of node.tensors) writeTensor(a.str(attr), t, storages);
    a.str('training').bool(false);
    for (const [name, child] of node.children) writeModuleNode(a.str(name), child, 'torch.nn.modules.module Module', storages);
  });
}

/**
 * The data.pkl of a torch.jit.save archive whose module tree holds `tensors` under their dotted
 * state_dict names (`visual.conv1.weight` is attribute `weight` of submodule `conv1` of `visual`).
 */
export function scriptModulePickle(tensors: readonly TensorSpec[], storages: readonly StorageSpec[], rootClass = 'model Model'): Uint8Array {
  const w = new PickleWriter().proto(2);
  writeModuleNode(w, moduleTree(tensors), rootClass, storages);
  return w.stop().bytes();
}

export interface TorchZipSpec {
  readonly storages: readonly StorageSpec[];
  /** The data.pkl bytes; a state dict of `tensors` by default. */
  readonly pickle?: Uint8Array;
  readonly tensors?: readonly TensorSpec[];
  readonly wrap?: readonly string[];
  readonly prefix?: string;
  readonly extra?: readonly ZipInput[];
  readonly zip?: ZipOptions;
}

/** A torch.save zip archive: `<prefix>/data.pkl`, `<prefix>/data/<key>`, `<prefix>/version`. */
export function torchZip(spec: TorchZipSpec): Uint8Array {
  const prefix = spec.prefix ?? 'archive';
  const pickle = spec.pickle ?? statePickle(spec.tensors ?? [], spec.storages, spec.wrap);
  return writeZip([
    { name: `${prefix}/data.pkl`, data: pickle },
    ...spec.storages.map((s) => ({ name: `${prefix}/data/${s.key}`, data: s.bytes })),
    { name: `${prefix}/version`, data: new TextEncoder().encode('3\n') },
    ...(spec.extra ?? []),
  ], { align: 64, ...spec.zip });
}

export const f32Bytes = (values: readonly number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);

export const i64Bytes = (values: readonly number[]): Uint8Array => new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);
