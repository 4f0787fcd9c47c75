import { CheckpointError } from '../errors';
import { unpickle } from './pickle';
import type { PyValue } from './pickle-values';
import type { Storage } from './tensor';
import { torchGlobal, torchPersistentLoad } from './torch-globals';
import { decodeLatin1 } from './utf8';
import { readEntry, readEntryRange, type ZipArchive } from './zip';

/** A torch zip archive (torch.save since 1.6, or torch.jit.save) decoded down to its pickled value. */
export interface TorchArchive {
  /** The folder every record sits in ('archive/', 'clip_jit/', ...): taken from the file, never assumed. */
  readonly prefix: string;
  readonly isTorchScript: boolean;
  readonly root: PyValue;
  /** TorchScript only: the tensors of constants.pkl (traced constants such as attention masks). */
  readonly constants: PyValue;
}

function findPrefix(zip: ZipArchive): string {
  const prefixes = [...zip.entries.keys()].flatMap((name) => {
    const match = /^([^/]+\/)?data\.pkl$/.exec(name);
    return match ? [match[1] ?? ''] : [];
  });
  if (prefixes.length === 1) return prefixes[0]!;
  const names = [...zip.entries.keys()].slice(0, 8).join(', ');
  if (prefixes.length === 0) throw new CheckpointError(`zip archive has no data.pkl record, so it is not a PyTorch checkpoint (entries: ${names})`);
  throw new CheckpointError(`zip archive has ${prefixes.length} data.pkl records (${prefixes.join(', ')}): ambiguous`);
}

/** Storage records of one pickle, created once per key so tensors that share a storage share it. */
function storageResolver(zip: ZipArchive, folder: string): (key: string) => Storage {
  const made = new Map<string, Storage>();
  return (key) => {
    const known = made.get(key);
    if (known) return known;
    const entry = zip.entries.get(folder + key);
    if (!entry) throw new CheckpointError(`storage '${key}' has no record '${folder + key}' in the archive`);
    const storage: Storage = { key: entry.name, byteLength: entry.size, read: (offset, length) => readEntryRange(zip, entry, offset, length) };
    made.set(key, storage);
    return storage;
  };
}

async function unpickleRecord(zip: ZipArchive, name: string, storageFolder: string): Promise<PyValue> {
  const entry = zip.entries.get(name);
  if (!entry) return null;
  const storageFor = storageResolver(zip, storageFolder);
  return unpickle(await readEntry(zip, entry), { findGlobal: torchGlobal, persistentLoad: (pid) => torchPersistentLoad(pid, storageFor) }, name);
}

async function checkByteOrder(zip: ZipArchive, prefix: string): Promise<void> {
  const entry = zip.entries.get(`${prefix}byteorder`);
  if (!entry) return;
  const order = decodeLatin1(await readEntry(zip, entry)).trim();
  if (order !== 'little') throw new CheckpointError(`archive records byte order '${order.slice(0, 20)}'; only little-endian checkpoints are supported`);
}

export async function readTorchArchive(zip: ZipArchive): Promise<TorchArchive> {
  const prefix = findPrefix(zip);
  await checkByteOrder(zip, prefix);
  const isTorchScript = zip.entries.has(`${prefix}constants.pkl`) || [...zip.entries.keys()].some((n) => n.startsWith(`${prefix}code/`));
  const root = await unpickleRecord(zip, `${prefix}data.pkl`, `${prefix}data/`);
  const constants = isTorchScript ? await unpickleRecord(zip, `${prefix}constants.pkl`, `${prefix}constants/`) : null;
  return { prefix, isTorchScript, root, constants };
}
