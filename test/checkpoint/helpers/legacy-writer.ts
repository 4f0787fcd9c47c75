import { concatBytes } from '../../../src/bytes/concat';
import { PickleWriter } from './pickle-writer';
import { ITEM_BYTES, statePickle, type PickleStyle, type StorageSpec, type TensorSpec } from './torch-writer';

export const LEGACY_MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;

export interface SysInfo {
  readonly protocolVersion?: number;
  readonly littleEndian?: boolean;
  readonly typeSizes?: Readonly<Record<string, number>>;
}

/** Pickle 3 as torch writes it, with any field replaced. */
export function sysInfoPickle(info: SysInfo = {}): Uint8Array {
  const w = new PickleWriter().proto(2).emptyDict().mark();
  w.str('protocol_version').int(info.protocolVersion ?? 1001).str('little_endian').bool(info.littleEndian ?? true).str('type_sizes').emptyDict().mark();
  for (const [name, size] of Object.entries(info.typeSizes ?? { short: 2, int: 4, long: 4 })) w.str(name).int(size);
  return w.setitems().setitems().stop().bytes();
}

/** One data block: the int64 little-endian element count, then the bytes. */
export function legacyBlock(count: number | bigint, bytes: Uint8Array): Uint8Array {
  const head = new Uint8Array(8);
  new DataView(head.buffer).setBigInt64(0, BigInt(count), true);
  return concatBytes([head, bytes]);
}

export interface LegacySpec {
  readonly storages: readonly StorageSpec[];
  readonly tensors?: readonly TensorSpec[];
  readonly wrap?: readonly string[];
  /** `legacy` is implied; `python2` writes the pickles as the real LPIPS vgg.pth has them. */
  readonly style?: PickleStyle;
  /** Pickle 5, and so the order of the data blocks: the storage keys sorted as strings by default, as torch sorts them. */
  readonly keys?: readonly string[];
  /** Pickles by index (0 magic, 1 protocol version, 2 sys_info, 3 the object, 4 the key list) written instead. */
  readonly pickles?: Readonly<Partial<Record<0 | 1 | 2 | 3 | 4, Uint8Array>>>;
  /** Everything after the pickles; by default each listed storage's block, in key-list order. */
  readonly data?: Uint8Array;
}

/** A file in torch's legacy torch.save format: five pickles, then the storages' data blocks. */
export function legacyTorchFile(spec: LegacySpec): Uint8Array {
  const style: PickleStyle = { legacy: true, ...spec.style };
  const keys = spec.keys ?? spec.storages.map((s) => s.key).sort();
  const text = (w: PickleWriter, s: string) => (style.python2 ? w.binstring(s) : w.str(s));
  const keyList = new PickleWriter().proto(2).emptyList().mark();
  for (const key of keys) text(keyList, key);
  const defaults = [
    new PickleWriter().proto(2).int(LEGACY_MAGIC_NUMBER).stop().bytes(),
    new PickleWriter().proto(2).int(1001).stop().bytes(),
    sysInfoPickle(),
    statePickle(spec.tensors ?? [], spec.storages, spec.wrap, style),
    keyList.appends().stop().bytes(),
  ];
  const pickles = defaults.map((p, i) => spec.pickles?.[i as 0 | 1 | 2 | 3 | 4] ?? p);
  const blocks = keys.flatMap((key) => {
    const s = spec.storages.find((x) => x.key === key);
    return s ? [legacyBlock(s.bytes.length / ITEM_BYTES[s.cls]!, s.bytes)] : [];
  });
  return concatBytes([...pickles, spec.data ?? concatBytes(blocks)]);
}
