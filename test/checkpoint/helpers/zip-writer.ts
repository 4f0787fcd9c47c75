import { deflateSync } from 'fflate';
import { concatBytes } from '../../../src/bytes/concat';
import { crc32 } from '../../../src/bytes/crc32';

export interface ZipInput {
  readonly name: string;
  readonly data: Uint8Array;
  /** 8 = deflate; stored by default, as torch writes. */
  readonly method?: 0 | 8;
}

export interface ZipOptions {
  /** Write zip64 records (saturated classic fields, extra fields, zip64 end record + locator). */
  readonly zip64?: boolean;
  /** Pad local headers so entry data starts at a multiple of this (torch uses 64). */
  readonly align?: number;
  readonly comment?: string;
}

const le = (n: number, bytes: number): number[] => {
  const out: number[] = [];
  for (let i = 0; i < bytes; i++) out.push(Math.floor(n / 2 ** (8 * i)) & 0xff);
  return out;
};

interface Record { readonly name: Uint8Array; readonly crc: number; readonly size: number; readonly csize: number; readonly method: number; readonly offset: number }

export function localHeader(name: Uint8Array, crc: number, csize: number, size: number, method: number, padding: number, zip64: boolean): Uint8Array {
  const sat = (n: number) => (zip64 ? 0xffffffff : n);
  const extra = [...(zip64 ? [1, 0, 16, 0, ...le(size, 8), ...le(csize, 8)] : []), ...(padding ? [0x46, 0x42, ...le(padding - 4, 2), ...new Array<number>(padding - 4).fill(0x5a)] : [])];
  return Uint8Array.from([
    ...le(0x04034b50, 4), 20, 0, 0, 0, method, 0, 0, 0, 0, 0, ...le(crc, 4), ...le(sat(csize), 4), ...le(sat(size), 4),
    ...le(name.length, 2), ...le(extra.length, 2), ...name, ...extra,
  ]);
}

function centralRecord(r: Record, zip64: boolean): number[] {
  const sat = (n: number) => (zip64 ? 0xffffffff : n);
  const extra = zip64 ? [1, 0, 24, 0, ...le(r.size, 8), ...le(r.csize, 8), ...le(r.offset, 8)] : [];
  return [
    ...le(0x02014b50, 4), 20, 0, 20, 0, 0, 0, r.method, 0, 0, 0, 0, 0, ...le(r.crc, 4), ...le(sat(r.csize), 4), ...le(sat(r.size), 4),
    ...le(r.name.length, 2), ...le(extra.length, 2), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...le(sat(r.offset), 4), ...r.name, ...extra,
  ];
}

/** Central directory + end records for entries already written, the directory starting at `cdOffset`. */
export function directory(records: readonly Record[], cdOffset: number, zip64: boolean, comment = ''): Uint8Array {
  const cd = records.flatMap((r) => centralRecord(r, zip64));
  const sat16 = (n: number) => (zip64 ? 0xffff : n);
  const sat32 = (n: number) => (zip64 ? 0xffffffff : n);
  const z64 = zip64 ? [
    ...le(0x06064b50, 4), ...le(44, 8), 45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...le(records.length, 8), ...le(records.length, 8), ...le(cd.length, 8), ...le(cdOffset, 8),
    ...le(0x07064b50, 4), 0, 0, 0, 0, ...le(cdOffset + cd.length, 8), 1, 0, 0, 0,
  ] : [];
  const commentBytes = [...new TextEncoder().encode(comment)];
  const eocd = [
    ...le(0x06054b50, 4), 0, 0, 0, 0, ...le(sat16(records.length), 2), ...le(sat16(records.length), 2), ...le(sat32(cd.length), 4), ...le(sat32(cdOffset), 4),
    ...le(commentBytes.length, 2), ...commentBytes,
  ];
  return Uint8Array.from([...cd, ...z64, ...eocd]);
}

/** Incremental writer: call `add` per entry, then `finish`; `sink` receives the bytes in order. */
export class ZipStream {
  private readonly records: Record[] = [];
  private offset = 0;

  constructor(private readonly sink: (chunk: Uint8Array) => void, private readonly options: ZipOptions = {}) {}

  private emit(chunk: Uint8Array): void {
    this.sink(chunk);
    this.offset += chunk.length;
  }

  add(input: ZipInput): void {
    const name = new TextEncoder().encode(input.name);
    const method = input.method ?? 0;
    const body = method === 8 ? deflateSync(input.data) : input.data;
    const crc = crc32(input.data);
    const zip64 = this.options.zip64 ?? false;
    const bare = localHeader(name, crc, body.length, input.data.length, method, 0, zip64).length;
    const align = this.options.align ?? 1;
    const gap = (align - ((this.offset + bare) % align)) % align;
    const padding = gap === 0 ? 0 : gap < 4 ? gap + align : gap;
    this.records.push({ name, crc, size: input.data.length, csize: body.length, method, offset: this.offset });
    this.emit(localHeader(name, crc, body.length, input.data.length, method, padding, zip64));
    this.emit(body);
  }

  finish(): void {
    this.emit(directory(this.records, this.offset, this.options.zip64 ?? false, this.options.comment));
  }
}

export function writeZip(entries: readonly ZipInput[], options: ZipOptions = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  const zip = new ZipStream((c) => chunks.push(c), options);
  for (const e of entries) zip.add(e);
  zip.finish();
  return concatBytes(chunks);
}
