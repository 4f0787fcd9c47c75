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

const ITEM_BYTES: Readonly<Record<string, number>> = {
  DoubleStorage: 8, FloatStorage: 4, HalfStorage: 2, BFloat16Storage: 2, LongStorage: 8, IntStorage: 4, ShortStorage: 2,
  CharStorage: 1, ByteStorage: 1, BoolStorage: 1,
};

export const rowMajorStrides = (shape: readonly number[]): number[] => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));

/** `_rebuild_tensor_v2((storage pid), offset, size, stride, False, OrderedDict())` as torch pickles it. */
export function writeTensor(w: PickleWriter, t: TensorSpec, storages: readonly StorageSpec[]): PickleWriter {
  const s = storages.find((x) => x.key === t.storage);
  if (!s) throw new Error(`test bug: no storage ${t.storage}`);
  w.global('torch._utils', '_rebuild_tensor_v2').mark();
  w.mark().str('storage').global('torch', s.cls).str(s.key).str('cpu').int(s.numel ?? s.bytes.length / ITEM_BYTES[s.cls]!).tuple().binpersid();
  w.int(t.offset ?? 0).ints(t.shape).ints(t.strides ?? rowMajorStrides(t.shape)).bool(false);
  return w.global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
}

/** An OrderedDict state dict, optionally inside `{wrap[0]: {wrap[1]: ...}}`, with torch's `_metadata` BUILD. */
export function statePickle(tensors: readonly TensorSpec[], storages: readonly StorageSpec[], wrap: readonly string[] = []): Uint8Array {
  const w = new PickleWriter().proto(2);
  for (const key of wrap) w.emptyDict().str(key);
  w.global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  for (const t of tensors) writeTensor(w.str(t.name), t, storages);
  w.setitems();
  w.emptyDict().str('_metadata').global('collections', 'OrderedDict').emptyTuple().reduce().setitem().build();
  for (let i = 0; i < wrap.length; i++) w.setitem();
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
