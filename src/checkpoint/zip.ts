import { Inflate } from 'fflate';
import { CheckpointError } from '../errors';
import { checkRange, type ByteSource } from './byte-source';
import { concatBytes } from '../bytes/concat';
import { crc32 } from '../bytes/crc32';
import { LIMITS } from './limits';
import { decodeLatin1, decodeUtf8 } from './utf8';

/** One file of a zip archive, as its central-directory record describes it. */
export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

export interface ZipArchive {
  readonly source: ByteSource;
  readonly entries: ReadonlyMap<string, ZipEntry>;
  /** Entry data must end before this offset (the start of the central directory). */
  readonly dataEnd: number;
  /** Resolved local-header data offsets, filled on first access to each entry. */
  readonly dataStarts: Map<string, number>;
  /** The last deflated entry read whole: the tensors sharing one storage then inflate it once. */
  lastInflated?: { readonly name: string; readonly bytes: Uint8Array };
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_BYTES = 22;
const CENTRAL_BYTES = 46;
const LOCAL_BYTES = 30;

const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

function u64(v: DataView, at: number, what: string): number {
  const value = v.getUint32(at, true) + v.getUint32(at + 4, true) * 2 ** 32;
  if (!Number.isSafeInteger(value)) throw new CheckpointError(`zip: ${what} ${value} is beyond 2^53`);
  return value;
}

interface Directory { readonly count: number; readonly size: number; readonly offset: number; readonly end: number }

/** Finds the end-of-central-directory record: the last signature whose comment length fits the tail exactly. */
function findEocd(tail: Uint8Array): number {
  const v = view(tail);
  for (let i = tail.length - EOCD_BYTES; i >= 0; i--) {
    if (v.getUint32(i, true) === SIG_EOCD && i + EOCD_BYTES + v.getUint16(i + 20, true) === tail.length) return i;
  }
  throw new CheckpointError('zip: no end-of-central-directory record (not a zip archive, or truncated)');
}

async function readDirectoryLocation(source: ByteSource): Promise<Directory> {
  const tailLength = Math.min(source.size, EOCD_BYTES + 0xffff + 20);
  const tailStart = source.size - tailLength;
  const tail = await source.read(tailStart, tailLength);
  const at = findEocd(tail);
  const v = view(tail);
  if (v.getUint16(at + 4, true) !== 0 && v.getUint16(at + 4, true) !== 0xffff) {
    throw new CheckpointError('zip: multi-disk archives are not supported');
  }
  const plain = { count: v.getUint16(at + 10, true), size: v.getUint32(at + 12, true), offset: v.getUint32(at + 16, true) };
  const hasLocator = at >= 20 && v.getUint32(at - 20, true) === SIG_ZIP64_LOCATOR;
  if (!hasLocator) {
    if (plain.count === 0xffff || plain.size === 0xffffffff || plain.offset === 0xffffffff) {
      throw new CheckpointError(`zip: end-of-central-directory at byte offset ${tailStart + at} is saturated but has no zip64 locator`);
    }
    return { ...plain, end: tailStart + at };
  }
  const recordOffset = u64(v, at - 20 + 8, 'zip64 record offset');
  checkRange(tailStart + at - 20, recordOffset, 56, 'zip64 end-of-central-directory record');
  const rec = view(await source.read(recordOffset, 56));
  if (rec.getUint32(0, true) !== SIG_ZIP64_EOCD) {
    throw new CheckpointError(`zip: no zip64 end-of-central-directory signature at byte offset ${recordOffset}`);
  }
  return { count: u64(rec, 32, 'entry count'), size: u64(rec, 40, 'central directory size'), offset: u64(rec, 48, 'central directory offset'), end: recordOffset };
}

/** Applies the zip64 extended-information extra field (id 1) to the fields the record saturated. */
function applyZip64Extra(extra: DataView, fields: { size: number; compressedSize: number; localHeaderOffset: number }, name: string): void {
  for (let p = 0; p + 4 <= extra.byteLength;) {
    const id = extra.getUint16(p, true);
    const len = extra.getUint16(p + 2, true);
    if (p + 4 + len > extra.byteLength) throw new CheckpointError(`zip: entry '${name}': extra field overruns its record`);
    if (id === 1) {
      let q = p + 4;
      for (const key of ['size', 'compressedSize', 'localHeaderOffset'] as const) {
        if (fields[key] !== 0xffffffff) continue;
        if (q + 8 > p + 4 + len) throw new CheckpointError(`zip: entry '${name}': zip64 extra field lacks ${key}`);
        fields[key] = u64(extra, q, `entry '${name}' ${key}`);
        q += 8;
      }
    }
    p += 4 + len;
  }
}

function parseCentralRecord(cd: Uint8Array, p: number, dir: Directory): { entry: ZipEntry; next: number } {
  const v = view(cd);
  if (p + CENTRAL_BYTES > cd.length || v.getUint32(p, true) !== SIG_CENTRAL) {
    throw new CheckpointError(`zip: bad central directory record at byte offset ${dir.offset + p}`);
  }
  const flags = v.getUint16(p + 8, true);
  const nameLength = v.getUint16(p + 28, true);
  const extraLength = v.getUint16(p + 30, true);
  const next = p + CENTRAL_BYTES + nameLength + extraLength + v.getUint16(p + 32, true);
  if (next > cd.length) throw new CheckpointError(`zip: central directory record at byte offset ${dir.offset + p} overruns the directory`);
  const nameBytes = cd.subarray(p + CENTRAL_BYTES, p + CENTRAL_BYTES + nameLength);
  const name = flags & 0x800 ? decodeUtf8(nameBytes, `zip entry name at byte offset ${dir.offset + p}`) : decodeLatin1(nameBytes);
  const fields = { compressedSize: v.getUint32(p + 20, true), size: v.getUint32(p + 24, true), localHeaderOffset: v.getUint32(p + 42, true) };
  applyZip64Extra(new DataView(cd.buffer, cd.byteOffset + p + CENTRAL_BYTES + nameLength, extraLength), fields, name);
  if (fields.localHeaderOffset + LOCAL_BYTES + nameLength + fields.compressedSize > dir.offset) {
    throw new CheckpointError(`zip: entry '${name}' (${fields.compressedSize} bytes at byte offset ${fields.localHeaderOffset}) extends past the entry data`);
  }
  const entry = { name, method: v.getUint16(p + 10, true), flags, crc32: v.getUint32(p + 16, true), ...fields };
  return { entry, next };
}

/** Reads the central directory (and only it: tail + directory by range). */
export async function openZip(source: ByteSource): Promise<ZipArchive> {
  const dir = await readDirectoryLocation(source);
  if (dir.size > LIMITS.maxCentralDirectoryBytes) throw new CheckpointError(`zip: central directory of ${dir.size} bytes exceeds the ${LIMITS.maxCentralDirectoryBytes}-byte limit`);
  if (dir.offset + dir.size > dir.end) {
    throw new CheckpointError(`zip: central directory (${dir.size} bytes at byte offset ${dir.offset}) overlaps the end record at byte offset ${dir.end}`);
  }
  if (dir.count * CENTRAL_BYTES > dir.size) throw new CheckpointError(`zip: ${dir.count} entries cannot fit a ${dir.size}-byte central directory`);
  const cd = await source.read(dir.offset, dir.size);
  const entries = new Map<string, ZipEntry>();
  for (let i = 0, p = 0; i < dir.count; i++) {
    const { entry, next } = parseCentralRecord(cd, p, dir);
    if (entries.has(entry.name)) throw new CheckpointError(`zip: duplicate entry '${entry.name}'`);
    entries.set(entry.name, entry);
    p = next;
  }
  return { source, entries, dataEnd: dir.offset, dataStarts: new Map() };
}

async function dataStart(zip: ZipArchive, entry: ZipEntry): Promise<number> {
  const known = zip.dataStarts.get(entry.name);
  if (known !== undefined) return known;
  checkRange(zip.dataEnd, entry.localHeaderOffset, LOCAL_BYTES, `zip: local header of '${entry.name}'`);
  const v = view(await zip.source.read(entry.localHeaderOffset, LOCAL_BYTES));
  if (v.getUint32(0, true) !== SIG_LOCAL) {
    throw new CheckpointError(`zip: no local header for '${entry.name}' at byte offset ${entry.localHeaderOffset} (wrong central directory?)`);
  }
  const start = entry.localHeaderOffset + LOCAL_BYTES + v.getUint16(26, true) + v.getUint16(28, true);
  checkRange(zip.dataEnd, start, entry.compressedSize, `zip: data of '${entry.name}'`);
  zip.dataStarts.set(entry.name, start);
  return start;
}

function checkReadable(entry: ZipEntry): void {
  if (entry.flags & 1) throw new CheckpointError(`zip: entry '${entry.name}' is encrypted`);
  if (entry.method !== 0 && entry.method !== 8) throw new CheckpointError(`zip: entry '${entry.name}' uses unsupported compression method ${entry.method}`);
  if (entry.method === 0 && entry.compressedSize !== entry.size) {
    throw new CheckpointError(`zip: stored entry '${entry.name}' declares ${entry.size} bytes but holds ${entry.compressedSize}`);
  }
}

/**
 * Inflates in small chunks so a deflate bomb is stopped as soon as it outgrows its declared size;
 * memory follows the actual output, never a size the file merely declares.
 */
function inflateEntry(entry: ZipEntry, compressed: Uint8Array): Uint8Array {
  if (entry.size > LIMITS.maxInflatedEntryBytes) throw new CheckpointError(`zip: entry '${entry.name}' declares ${entry.size} inflated bytes, over the limit`);
  const chunks: Uint8Array[] = [];
  let filled = 0;
  const inflater = new Inflate((chunk) => {
    filled += chunk.length;
    if (filled > entry.size) throw new CheckpointError(`zip: entry '${entry.name}' inflates past its declared ${entry.size} bytes`);
    chunks.push(chunk);
  });
  try {
    const step = 16384;
    for (let p = 0; p < compressed.length; p += step) inflater.push(compressed.subarray(p, p + step), p + step >= compressed.length);
    if (compressed.length === 0) inflater.push(compressed, true);
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError(`zip: entry '${entry.name}' is corrupt deflate data (${(err as Error).message})`);
  }
  if (filled !== entry.size) throw new CheckpointError(`zip: entry '${entry.name}' inflates to ${filled} bytes, not the declared ${entry.size}`);
  return concatBytes(chunks);
}

/** The whole entry, inflated if needed and checked against its CRC-32. */
export async function readEntry(zip: ZipArchive, entry: ZipEntry): Promise<Uint8Array> {
  checkReadable(entry);
  const raw = await zip.source.read(await dataStart(zip, entry), entry.compressedSize);
  const bytes = entry.method === 8 ? inflateEntry(entry, raw) : raw;
  if (crc32(bytes) !== entry.crc32) throw new CheckpointError(`zip: entry '${entry.name}' fails its CRC-32 check`);
  return bytes;
}

/**
 * `length` bytes at `offset` inside an entry. Stored entries (what torch writes) are read by range
 * without a CRC check, which would need the whole entry; deflated ones are inflated whole first.
 */
export async function readEntryRange(zip: ZipArchive, entry: ZipEntry, offset: number, length: number): Promise<Uint8Array> {
  checkReadable(entry);
  checkRange(entry.size, offset, length, `zip: read inside '${entry.name}'`);
  if (entry.method === 8) {
    if (zip.lastInflated?.name !== entry.name) zip.lastInflated = { name: entry.name, bytes: await readEntry(zip, entry) };
    return zip.lastInflated.bytes.subarray(offset, offset + length);
  }
  return zip.source.read((await dataStart(zip, entry)) + offset, length);
}
