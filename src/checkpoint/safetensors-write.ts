/**
 * safetensors written: the cache keeps the tensors a model reads of a bigger checkpoint in this
 * form (cache/subset.ts), and tests build files with it. `dtype` is any string, so that tests can
 * write what a reader must refuse.
 */
export interface SafetensorsInput {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

/** A safetensors file from a header (object or literal JSON text) and its data section. */
export function safetensorsFile(header: object | string, data: Uint8Array): Uint8Array {
  let json = typeof header === 'string' ? header : JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(data, 8 + headerBytes.length);
  return out;
}

/** A well-formed file holding `tensors` back to back in the given order. */
export function writeSafetensors(tensors: readonly SafetensorsInput[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let at = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + t.data.length] };
    at += t.data.length;
  }
  const data = new Uint8Array(at);
  at = 0;
  for (const t of tensors) {
    data.set(t.data, at);
    at += t.data.length;
  }
  return safetensorsFile(header, data);
}
