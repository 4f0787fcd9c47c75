import { ImageError } from '../errors';
import { unzlibSync, zlibSync } from 'fflate';
import { type Chunk } from './chunks';

/** Key/value text metadata as PNG carries it (tEXt, zTXt, iTXt). */
export type PngText = Readonly<Record<string, string>>;

const isLatin1 = (s: string): boolean => [...s].every((ch) => ch.codePointAt(0)! <= 0xff);
const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
const fromLatin1 = (b: Uint8Array): string => String.fromCharCode(...b);

/**
 * A text chunk as other tools expect it: tEXt when the value is Latin-1 (what A1111-style readers
 * look for first), else iTXt, which carries UTF-8.
 */
export function textChunk(keyword: string, value: string): Chunk {
  if (!/^[\x20-\x7e]{1,79}$/.test(keyword)) throw new ImageError(`invalid PNG text keyword "${keyword}"`);
  if (isLatin1(value)) return { type: 'tEXt', data: Uint8Array.of(...latin1(keyword), 0, ...latin1(value)) };
  // keyword \0, compression flag 0, method 0, empty language tag \0, empty translated keyword \0, text
  return { type: 'iTXt', data: Uint8Array.of(...latin1(keyword), 0, 0, 0, 0, 0, ...new TextEncoder().encode(value)) };
}

function parseText(chunk: Chunk): [string, string] | undefined {
  const nul = chunk.data.indexOf(0);
  if (nul < 1) return undefined;
  const keyword = fromLatin1(chunk.data.subarray(0, nul));
  const rest = chunk.data.subarray(nul + 1);
  if (chunk.type === 'tEXt') return [keyword, fromLatin1(rest)];
  if (chunk.type === 'zTXt') return [keyword, fromLatin1(unzlibSync(rest.subarray(1)))];
  if (chunk.type !== 'iTXt') return undefined;
  const compressed = rest[0] === 1;
  const langEnd = rest.indexOf(0, 2);
  const transEnd = rest.indexOf(0, langEnd + 1);
  if (langEnd < 0 || transEnd < 0) throw new ImageError(`malformed iTXt chunk "${keyword}"`);
  const body = rest.subarray(transEnd + 1);
  return [keyword, new TextDecoder().decode(compressed ? unzlibSync(body) : body)];
}

/** Every text entry of a PNG's chunks; when a keyword repeats, the first wins. */
export function readText(chunks: readonly Chunk[]): PngText {
  const out: Record<string, string> = {};
  for (const chunk of chunks) {
    const entry = parseText(chunk);
    if (entry && !(entry[0] in out)) out[entry[0]] = entry[1];
  }
  return out;
}

export const deflate = (data: Uint8Array): Uint8Array => zlibSync(data, { level: 6 });
