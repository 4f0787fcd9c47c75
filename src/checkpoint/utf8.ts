import { CheckpointError } from '../errors';

const strict = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8, rejecting malformed bytes with an error that says where they came from. */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return strict.decode(bytes);
  } catch {
    throw new CheckpointError(`${what} is not valid UTF-8`);
  }
}

/** One byte per character, as Python 2 `str` pickles and legacy zip names are read. */
export function decodeLatin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}
