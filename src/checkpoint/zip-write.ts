import { crc32 } from '../bytes/crc32';
import { CheckpointError } from '../errors';

/**
 * The zip archive torch.save writes (PyTorchStreamWriter over miniz), byte for byte: stored entries
 * whose data starts on a 64-byte boundary ('FB' padding in the local header's extra field), zeroed
 * times, flags 0x0808 with a data descriptor after each entry, then the central directory and the
 * zip64 end records miniz always adds. The result is a list of parts (headers between the callers'
 * own data arrays) so that a model of hundreds of megabytes is never copied into one buffer.
 */

export interface ZipEntry {
  readonly name: string;
  readonly data: Uint8Array;
}

const ALIGNMENT = 64;
const LOCAL_HEADER = 30;
const U32_LIMIT = 0xffffffff;

const utf8 = new TextEncoder();

function header(size: number, fill: (v: DataView, bytes: Uint8Array) => void): Uint8Array {
  const bytes = new Uint8Array(size);
  fill(new DataView(bytes.buffer), bytes);
  return bytes;
}

/** Local header with the 'FB' extra field that pads the entry's data to the next 64-byte boundary. */
const localHeader = (name: Uint8Array, padding: number): Uint8Array => header(LOCAL_HEADER + name.length + 4 + padding, (v, b) => {
  v.setUint32(0, 0x04034b50, true);
  v.setUint16(6, 0x0808, true);
  v.setUint16(26, name.length, true);
  v.setUint16(28, 4 + padding, true);
  b.set(name, LOCAL_HEADER);
  const extra = LOCAL_HEADER + name.length;
  v.setUint16(extra, 0x4246, true);
  v.setUint16(extra + 2, padding, true);
  b.fill(0x5a, extra + 4);
});

const dataDescriptor = (crc: number, size: number): Uint8Array => header(16, (v) => {
  v.setUint32(0, 0x08074b50, true);
  v.setUint32(4, crc, true);
  v.setUint32(8, size, true);
  v.setUint32(12, size, true);
});

const centralHeader = (name: Uint8Array, crc: number, size: number, offset: number): Uint8Array => header(46 + name.length, (v, b) => {
  v.setUint32(0, 0x02014b50, true);
  v.setUint16(8, 0x0808, true);
  v.setUint32(16, crc, true);
  v.setUint32(20, size, true);
  v.setUint32(24, size, true);
  v.setUint16(28, name.length, true);
  v.setUint32(42, offset, true);
  b.set(name, 46);
});

/** The zip64 end record, its locator and the classic end record, as miniz writes them for every archive. */
const endRecords = (count: number, directoryOffset: number, directorySize: number): Uint8Array => header(56 + 20 + 22, (v) => {
  v.setUint32(0, 0x06064b50, true);
  v.setBigUint64(4, 44n, true);
  v.setUint16(12, 0x031e, true);
  v.setUint16(14, 0x002d, true);
  v.setBigUint64(24, BigInt(count), true);
  v.setBigUint64(32, BigInt(count), true);
  v.setBigUint64(40, BigInt(directorySize), true);
  v.setBigUint64(48, BigInt(directoryOffset), true);
  v.setUint32(56, 0x07064b50, true);
  v.setBigUint64(64, BigInt(directoryOffset + directorySize), true);
  v.setUint32(72, 1, true);
  v.setUint32(76, 0x06054b50, true);
  v.setUint16(84, count, true);
  v.setUint16(86, count, true);
  v.setUint32(88, directorySize, true);
  v.setUint32(92, directoryOffset, true);
});

/** The parts of a stored zip holding `entries` in order. */
export function storedZipParts(entries: readonly ZipEntry[]): Uint8Array[] {
  if (entries.length > 0xffff) throw new CheckpointError(`zip: ${entries.length} entries is more than this writer's 65535`);
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBytes = utf8.encode(name);
    const start = offset + LOCAL_HEADER + nameBytes.length + 4;
    const padding = (ALIGNMENT - (start % ALIGNMENT)) % ALIGNMENT;
    if (start + padding + data.length + 16 > U32_LIMIT) {
      throw new CheckpointError(`zip: '${name}' would end past 4 GiB, which needs zip64 entries this writer does not make`);
    }
    const crc = crc32(data);
    parts.push(localHeader(nameBytes, padding), data, dataDescriptor(crc, data.length));
    central.push(centralHeader(nameBytes, crc, data.length, offset));
    offset = start + padding + data.length + 16;
  }
  const directorySize = central.reduce((n, c) => n + c.length, 0);
  parts.push(...central, endRecords(entries.length, offset, directorySize));
  return parts;
}
