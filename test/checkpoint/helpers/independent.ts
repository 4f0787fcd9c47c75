/**
 * Independent decoders for cross-checking the readers: they share no code with src/checkpoint and
 * take the simplest possible route (fixed-offset zip records without zip64; a per-element strided copy).
 */
export function zipEntries(bytes: Uint8Array): Map<string, Uint8Array> {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // No archive comment, no zip64: the end record is the last 22 bytes.
  const eocd = bytes.length - 22;
  if (v.getUint32(eocd, true) !== 0x06054b50) throw new Error('independent decoder: no plain end record');
  const out = new Map<string, Uint8Array>();
  let p = v.getUint32(eocd + 16, true);
  for (let i = 0; i < v.getUint16(eocd + 10, true); i++) {
    if (v.getUint16(p + 10, true) !== 0) throw new Error('independent decoder: stored entries only');
    const nameLength = v.getUint16(p + 28, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLength));
    const size = v.getUint32(p + 20, true);
    const local = v.getUint32(p + 42, true);
    const start = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
    out.set(name, bytes.subarray(start, start + size));
    p += 46 + nameLength + v.getUint16(p + 30, true) + v.getUint16(p + 32, true);
  }
  return out;
}

/** Row-major bytes of a strided view, one element at a time. */
export function stridedCopy(storage: Uint8Array, itemBytes: number, shape: readonly number[], strides: readonly number[], offset: number): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(count * itemBytes);
  for (let flat = 0; flat < count; flat++) {
    let rest = flat;
    let element = offset;
    for (let d = shape.length - 1; d >= 0; d--) {
      element += (rest % shape[d]!) * strides[d]!;
      rest = Math.floor(rest / shape[d]!);
    }
    out.set(storage.subarray(element * itemBytes, (element + 1) * itemBytes), flat * itemBytes);
  }
  return out;
}

/** The data blocks of a legacy torch file: from `start`, per key in order, an int64 count then count * itemBytes bytes. */
export function legacyBlocks(bytes: Uint8Array, start: number, keys: readonly string[], itemBytes: number): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let p = start;
  for (const key of keys) {
    const length = Number(Buffer.from(bytes.subarray(p, p + 8)).readBigInt64LE(0)) * itemBytes;
    out.set(key, bytes.subarray(p + 8, p + 8 + length));
    p += 8 + length;
  }
  if (p !== bytes.length) throw new Error(`independent decoder: blocks end at ${p}, not at the end of the file (${bytes.length})`);
  return out;
}
