import { describe, expect, it } from 'vitest';
import { memorySource } from '../../src/checkpoint/byte-source';
import { openZip, readEntry, readEntryRange } from '../../src/checkpoint/zip';
import { expectCheckpointError } from './helpers/expect-error';
import { writeZip } from './helpers/zip-writer';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const payload = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) % 251);

const entries = [
  { name: 'a/stored.bin', data: payload },
  { name: 'a/deflated.bin', data: payload, method: 8 as const },
  { name: 'a/empty', data: new Uint8Array(0) },
];

async function roundTrip(bytes: Uint8Array): Promise<void> {
  const zip = await openZip(memorySource(bytes));
  expect([...zip.entries.keys()]).toEqual(['a/stored.bin', 'a/deflated.bin', 'a/empty']);
  expect(await readEntry(zip, zip.entries.get('a/stored.bin')!)).toEqual(payload);
  expect(await readEntry(zip, zip.entries.get('a/deflated.bin')!)).toEqual(payload);
  expect(await readEntry(zip, zip.entries.get('a/empty')!)).toEqual(new Uint8Array(0));
  expect(await readEntryRange(zip, zip.entries.get('a/stored.bin')!, 4000, 3)).toEqual(payload.subarray(4000, 4003));
  expect(await readEntryRange(zip, zip.entries.get('a/deflated.bin')!, 10, 2)).toEqual(payload.subarray(10, 12));
}

describe('zip reader', () => {
  it('reads stored and deflated entries, whole and by range', () => roundTrip(writeZip(entries)));
  it('reads zip64 archives', () => roundTrip(writeZip(entries, { zip64: true })));
  it('reads archives with a comment and aligned (padded) local headers', () => roundTrip(writeZip(entries, { comment: 'PK\x05\x06 fake', align: 64 })));

  it('reads only the tail and the central directory when opening', async () => {
    const bytes = writeZip([...entries, { name: 'big', data: new Uint8Array(1_000_000) }]);
    const reads: number[][] = [];
    const source = memorySource(bytes);
    await openZip({ size: source.size, read: (o, l) => (reads.push([o, l]), source.read(o, l)) });
    expect(reads).toHaveLength(2);
    expect(reads.reduce((n, [, l]) => n + l!, 0)).toBeLessThan(70_000);
  });

  it('rejects a file with no end record', () => expectCheckpointError(openZip(memorySource(text('PK\x03\x04 not really a zip file at all'))), 'no end-of-central-directory record'));

  it('rejects a central directory that points at the wrong place', async () => {
    const bytes = writeZip(entries);
    const v = new DataView(bytes.buffer);
    const eocd = bytes.length - 22;
    v.setUint32(eocd + 16, v.getUint32(eocd + 16, true) - 7, true);
    await expectCheckpointError(openZip(memorySource(bytes)), /bad central directory record at byte offset/);
  });

  it('rejects a central directory whose local header offset is wrong', async () => {
    const bytes = writeZip(entries);
    const v = new DataView(bytes.buffer);
    const cdOffset = v.getUint32(bytes.length - 22 + 16, true);
    v.setUint32(cdOffset + 42, 3, true);
    const zip = await openZip(memorySource(bytes));
    await expectCheckpointError(readEntry(zip, zip.entries.get('a/stored.bin')!), "no local header for 'a/stored.bin' at byte offset 3 (wrong central directory?)");
  });

  it('rejects an entry that claims more data than the archive holds', async () => {
    const bytes = writeZip(entries);
    const v = new DataView(bytes.buffer);
    const cdOffset = v.getUint32(bytes.length - 22 + 16, true);
    v.setUint32(cdOffset + 20, 0x7fffffff, true);
    await expectCheckpointError(openZip(memorySource(bytes)), "entry 'a/stored.bin' (2147483647 bytes at byte offset 0) extends past the entry data");
  });

  it('rejects a directory that claims more entries than it can hold', async () => {
    const bytes = writeZip(entries);
    new DataView(bytes.buffer).setUint16(bytes.length - 22 + 10, 9999, true);
    await expectCheckpointError(openZip(memorySource(bytes)), /9999 entries cannot fit a \d+-byte central directory/);
  });

  it('detects corrupted data through the CRC', async () => {
    const bytes = writeZip(entries);
    const zip = await openZip(memorySource(bytes));
    bytes[100] = bytes[100]! ^ 0xff;
    await expectCheckpointError(readEntry(zip, zip.entries.get('a/stored.bin')!), "entry 'a/stored.bin' fails its CRC-32 check");
  });

  it('stops a deflate bomb at its declared size', async () => {
    const bomb = writeZip([{ name: 'bomb', data: new Uint8Array(5_000_000), method: 8 }]);
    const v = new DataView(bomb.buffer);
    const cdOffset = v.getUint32(bomb.length - 22 + 16, true);
    v.setUint32(cdOffset + 24, 1000, true);
    const zip = await openZip(memorySource(bomb));
    await expectCheckpointError(readEntry(zip, zip.entries.get('bomb')!), "entry 'bomb' inflates past its declared 1000 bytes");
  });

  it('rejects truncation at every cut point with a CheckpointError', async () => {
    const bytes = writeZip(entries);
    for (let cut = 0; cut < bytes.length; cut += 37) {
      await expectCheckpointError(openZip(memorySource(bytes.subarray(0, cut))), /zip: /);
    }
  });
});

describe('zip reader: deflate errors', () => {
  it('rejects corrupt deflate data and short inflation', async () => {
    const bytes = writeZip([{ name: 'd', data: payload, method: 8 }]);
    const zip = await openZip(memorySource(bytes));
    const entry = zip.entries.get('d')!;
    await expectCheckpointError(readEntry(zip, { ...entry, size: entry.size + 10 }), `entry 'd' inflates to 5000 bytes, not the declared 5010`);
    bytes.fill(0xff, 40, 60);
    await expectCheckpointError(readEntry(zip, entry), /entry 'd' (is corrupt deflate data|inflates|fails its CRC-32 check)/);
  });
});
