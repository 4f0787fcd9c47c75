import { CheckpointError } from '../errors';
import { checkRange, type ByteSource } from './byte-source';
import { DTYPE_BYTES } from './dtype';
import { LIMITS } from './limits';
import { PickleTruncatedError, unpickleAt, type PickleHooks } from './pickle';
import { asString, isDict, typeName, type PyValue } from './pickle-values';
import type { Storage } from './tensor';
import { torchGlobal, torchPersistentLoad, type DeclaredStorage } from './torch-globals';

/*
 * torch.save before 1.6 (and since, with `_use_new_zipfile_serialization=False`): five pickles back to
 * back (magic number, protocol version, sys_info, the object, the storage keys), then for each key in
 * the last pickle's order an int64 element count and the storage's raw little-endian bytes, up to the
 * end of the file. Opening reads the pickles and the counts; tensor bytes are read by range later.
 */

const WHERE = 'legacy torch file';
const MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;
/** The only version torch ever wrote; its loader refuses any other. */
const PROTOCOL_VERSION = 1001;
/** torch writes struct's standard sizes, the same on every platform (long is 4 even on 64-bit Linux). */
const TYPE_SIZES: Readonly<Record<string, number>> = { short: 2, int: 4, long: 4 };
/** The pickles state no length: this much is read first, and more only when they run past it. */
const FIRST_READ_BYTES = 64 * 1024;
const COUNT_BYTES = 8;

/** A storage whose bytes follow the pickles; where exactly is known once every count before it is read. */
class LegacyStorage implements Storage {
  /** File offset of its first byte, set by `locateStorages` before `openCheckpoint` returns. */
  start = -1;

  constructor(readonly key: string, readonly declared: DeclaredStorage, readonly byteLength: number, private readonly source: ByteSource) {}

  read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.byteLength, offset, length, `${WHERE}: read inside storage '${this.key}'`);
    return this.source.read(this.start + offset, length);
  }
}

interface Head {
  readonly root: PyValue;
  /** In key-list order, which is the order of their bytes in the file. */
  readonly storages: readonly LegacyStorage[];
  /** File offset of the first storage's element count. */
  readonly dataStart: number;
}

const show = (v: PyValue | undefined): string =>
  v === undefined ? 'missing' : ['number', 'bigint', 'string', 'boolean'].includes(typeof v) ? `${typeName(v)} ${String(v).slice(0, 40)}` : typeName(v);

/** Pickles 1, 2, 3 and 5 hold numbers, strings, dicts and lists: any global or persistent id is hostile. */
function plainData(what: string): PickleHooks {
  return {
    findGlobal(module, name) {
      throw new CheckpointError(`${what}: refusing global '${module}.${name}': this pickle holds plain data only (loading it could run code)`);
    },
    persistentLoad() {
      throw new CheckpointError(`${what}: a persistent id has no place in this pickle`);
    },
  };
}

function checkSysInfo(info: PyValue): void {
  const where = `${WHERE}: sys_info (pickle 3)`;
  if (!isDict(info)) throw new CheckpointError(`${where} is ${typeName(info)}, not a dict`);
  if (info.get('protocol_version') !== PROTOCOL_VERSION) {
    throw new CheckpointError(`${where}: protocol_version is ${show(info.get('protocol_version'))}, expected ${PROTOCOL_VERSION}`);
  }
  if (info.get('little_endian') !== true) {
    throw new CheckpointError(`${where}: little_endian is ${show(info.get('little_endian'))}: the file was written on a big-endian machine; only little-endian checkpoints are supported`);
  }
  const sizes = info.get('type_sizes');
  if (sizes === undefined || !isDict(sizes)) throw new CheckpointError(`${where}: type_sizes is ${show(sizes)}, not a dict`);
  for (const [name, size] of Object.entries(TYPE_SIZES)) {
    if (sizes.get(name) !== size) throw new CheckpointError(`${where}: type_sizes.${name} is ${show(sizes.get(name))}, expected ${size} as torch writes on every platform`);
  }
}

/** One record per key; a second persistent id for the key must say the same, since both name one block of bytes. */
function declareStorage(storages: Map<string, LegacyStorage>, key: string, declared: DeclaredStorage, source: ByteSource): LegacyStorage {
  const describe = (d: DeclaredStorage) => `${d.count} ${d.qualname} elements`;
  const known = storages.get(key);
  if (known) {
    if (known.declared.dtype === declared.dtype && known.declared.count === declared.count) return known;
    throw new CheckpointError(`${WHERE}: storage '${key}' is declared as ${describe(known.declared)} and again as ${describe(declared)}`);
  }
  // Nothing is sized from this: `locateStorages` checks it against the block's count and the file's end.
  const byteLength = declared.count * DTYPE_BYTES[declared.dtype];
  if (!Number.isSafeInteger(byteLength)) throw new CheckpointError(`${WHERE}: storage '${key}' declares ${describe(declared)}, an absurd size`);
  const storage = new LegacyStorage(key, declared, byteLength, source);
  storages.set(key, storage);
  return storage;
}

/** The key list orders the data blocks; it must name exactly the storages the object uses, once each. */
function storageOrder(list: PyValue, declared: ReadonlyMap<string, LegacyStorage>): LegacyStorage[] {
  const where = `${WHERE}: storage key list (pickle 5)`;
  if (!Array.isArray(list)) throw new CheckpointError(`${where} is ${typeName(list)}, not a list`);
  const listed = new Set<string>();
  const order = list.map((item, i) => {
    const key = asString(item, `${where}: item ${i}`);
    if (listed.has(key)) throw new CheckpointError(`${where}: storage '${key}' is listed twice`);
    listed.add(key);
    const storage = declared.get(key);
    if (!storage) throw new CheckpointError(`${where}: storage '${key}' is listed but no persistent id in the object declares it`);
    return storage;
  });
  const unlisted = [...declared.keys()].filter((k) => !listed.has(k));
  if (unlisted.length > 0) {
    throw new CheckpointError(`${where}: storage '${unlisted[0]}' is used by the object but not listed, so its bytes cannot be found${unlisted.length > 1 ? ` (${unlisted.length - 1} more)` : ''}`);
  }
  return order;
}

/** Parses the five pickles from the start of the file; offsets in errors are file offsets. */
function parseHead(bytes: Uint8Array, source: ByteSource): Head {
  let pos = 0;
  const next = (index: number, name: string, hooks?: PickleHooks): PyValue => {
    const what = `${WHERE}, pickle ${index} of 5 (${name})`;
    const { value, end } = unpickleAt(bytes, pos, hooks ?? plainData(what), what);
    pos = end;
    return value;
  };
  const magic = next(1, 'magic number');
  if (magic !== MAGIC_NUMBER) throw new CheckpointError(`${WHERE}: pickle 1 holds ${show(magic)}, not torch's magic number 0x${MAGIC_NUMBER.toString(16)} (corrupt file?)`);
  const version = next(2, 'protocol version');
  if (version !== PROTOCOL_VERSION) throw new CheckpointError(`${WHERE}: protocol version is ${show(version)}; only ${PROTOCOL_VERSION}, the one torch writes, is supported`);
  checkSysInfo(next(3, 'sys_info'));
  const declared = new Map<string, LegacyStorage>();
  const root = next(4, 'the object', {
    findGlobal: torchGlobal,
    persistentLoad: (pid) => torchPersistentLoad(pid, (key, d) => declareStorage(declared, key, d, source)),
  });
  const storages = storageOrder(next(5, 'storage keys'), declared);
  return { root, storages, dataStart: pos };
}

/**
 * Reads as much of the file's start as the pickles need: a first slice, then more (at least what the
 * pickle machine asked for) while they run past it, so a multi-GB file is never read whole.
 */
async function readHead(source: ByteSource): Promise<{ head: Head; bytes: Uint8Array }> {
  const limit = Math.min(source.size, LIMITS.maxPickleBytes);
  let length = Math.min(source.size, FIRST_READ_BYTES);
  for (;;) {
    const bytes = await source.read(0, length);
    try {
      return { head: parseHead(bytes, source), bytes };
    } catch (err) {
      if (!(err instanceof PickleTruncatedError) || length === source.size) throw err;
      if (length === limit) throw new CheckpointError(`${WHERE}: its pickles run past byte offset ${limit}, over the ${LIMITS.maxPickleBytes}-byte pickle limit (${err.message})`);
      length = Math.min(limit, Math.max(2 * length, err.neededEnd));
    }
  }
}

/**
 * Walks the data blocks in key-list order: each element count must be the one the persistent id
 * declared (torch's loader insists too) and each block must end inside the file, which it must fill.
 */
async function locateStorages(source: ByteSource, head: Head, bytes: Uint8Array): Promise<void> {
  let pos = head.dataStart;
  for (const [i, storage] of head.storages.entries()) {
    const where = `${WHERE}: storage '${storage.key}' (data block ${i + 1} of ${head.storages.length})`;
    if (pos + COUNT_BYTES > source.size) {
      throw new CheckpointError(`${where}: the file ends at byte offset ${source.size}, where the block's 8-byte element count was expected at byte offset ${pos} (truncated)`);
    }
    const raw = pos + COUNT_BYTES <= bytes.length ? bytes.subarray(pos, pos + COUNT_BYTES) : await source.read(pos, COUNT_BYTES);
    const count = new DataView(raw.buffer, raw.byteOffset, COUNT_BYTES).getBigInt64(0, true);
    if (count !== BigInt(storage.declared.count)) {
      throw new CheckpointError(`${where}: element count ${count} at byte offset ${pos} differs from the ${storage.declared.count} its persistent id declares`);
    }
    storage.start = pos + COUNT_BYTES;
    pos = storage.start + storage.byteLength;
    if (pos > source.size) {
      throw new CheckpointError(`${where}: its ${storage.byteLength} bytes from byte offset ${storage.start} run past the end of the file at byte offset ${source.size} (truncated)`);
    }
  }
  if (pos !== source.size) throw new CheckpointError(`${WHERE}: the last data block ends at byte offset ${pos} but the file goes on to byte offset ${source.size}; torch writes nothing after it`);
}

/** The object a legacy torch.save file holds, with every storage located; no tensor bytes are read. */
export async function readTorchLegacy(source: ByteSource): Promise<PyValue> {
  const { head, bytes } = await readHead(source);
  await locateStorages(source, head, bytes);
  return head.root;
}
