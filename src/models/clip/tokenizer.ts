import { gunzipSync } from 'fflate';
import { ShapeError } from '../../errors';
import { byteAlphabet, bpeWord, pairKey } from './bpe';
import { cleanText, REGEX_SPACE } from './text-clean';

/** clip.tokenize's context length and special tokens. */
export const CONTEXT_LENGTH = 77;
export const SOT_TOKEN = 49406;
export const EOT_TOKEN = 49407;

/** The merges simple_tokenizer.py keeps: lines 1 … 49152 − 256 − 2 of the vocabulary file. */
const MERGE_COUNT = 49152 - 256 - 2;

// simple_tokenizer.py's pattern (the text is already lower-cased; the flags keep its IGNORECASE).
const WORDS = new RegExp(`<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^${REGEX_SPACE}\\p{L}\\p{N}]+`, 'giu');

export interface Tokens {
  /** Token ids padded with zeros to the context length, as clip.tokenize returns them (int32). */
  readonly ids: Int32Array;
  /** Index of the first end-of-text token: where encode_text pools (text.argmax(-1)). */
  readonly eotIndex: number;
  /** The prompt did not fit: the ids were cut and the last one set to end-of-text (upstream raises instead). */
  readonly truncated: boolean;
  /** How many tokens the prompt had with start and end tokens, before truncation. */
  readonly length: number;
}

export interface ClipTokenizer {
  /** SimpleTokenizer.encode: BPE ids of the cleaned text, without start/end tokens. */
  encode(text: string): number[];
  /** clip.tokenize(text, truncate=True) for one prompt, saying whether it was truncated. */
  tokenize(text: string, contextLength?: number): Tokens;
}

function parseMerges(vocabText: string): string[][] {
  const lines = vocabText.split('\n');
  const merges = lines.slice(1, MERGE_COUNT + 1).map((line) => line.split(/\s+/).filter((s) => s.length > 0));
  if (merges.length !== MERGE_COUNT || merges.some((m) => m.length !== 2)) {
    throw new ShapeError(`BPE vocabulary: expected ${MERGE_COUNT} merge lines of two symbols after the header, found ${merges.length}`);
  }
  return merges;
}

/** The encoder table: byte symbols, byte symbols with '</w>', merges, then the two special tokens. */
function buildEncoder(merges: readonly string[][], symbols: readonly string[]): Map<string, number> {
  const vocab = [...symbols, ...symbols.map((s) => `${s}</w>`), ...merges.map((m) => m.join('')), '<|startoftext|>', '<|endoftext|>'];
  return new Map(vocab.map((v, i) => [v, i]));
}

/**
 * A tokenizer over the contents of bpe_simple_vocab_16e6.txt.gz (gzip bytes, loaded at run time
 * with the model files; the vocabulary is data and is not part of the code).
 */
export function createClipTokenizer(vocabGz: Uint8Array): ClipTokenizer {
  const merges = parseMerges(new TextDecoder('utf-8').decode(gunzipSync(vocabGz)));
  const { order, char } = byteAlphabet();
  const encoder = buildEncoder(merges, order.map((b) => char[b]!));
  const ranks = new Map(merges.map((m, i) => [pairKey(m[0]!, m[1]!), i]));
  const utf8 = new TextEncoder();
  const cache = new Map<string, number[]>([['<|startoftext|>', [SOT_TOKEN]], ['<|endoftext|>', [EOT_TOKEN]]]);
  const idsOf = (word: string): number[] => {
    const hit = cache.get(word);
    if (hit) return hit;
    const mapped = Array.from(utf8.encode(word), (b) => char[b]!).join('');
    const ids = bpeWord(mapped, ranks).map((s) => encoder.get(s)!);
    cache.set(word, ids);
    return ids;
  };
  const encode = (text: string): number[] => [...cleanText(text).matchAll(WORDS)].flatMap((m) => idsOf(m[0]));
  return { encode, tokenize: (text, contextLength = CONTEXT_LENGTH) => toContext(encode(text), contextLength) };
}

/** [SOT, ids…, EOT] zero-padded to the context; when too long, cut and end with EOT (clip.tokenize truncate=True). */
function toContext(bpe: readonly number[], contextLength: number): Tokens {
  const all = [SOT_TOKEN, ...bpe, EOT_TOKEN];
  const truncated = all.length > contextLength;
  const ids = new Int32Array(contextLength);
  ids.set(truncated ? all.slice(0, contextLength) : all);
  if (truncated) ids[contextLength - 1] = EOT_TOKEN;
  return { ids, eotIndex: ids.indexOf(EOT_TOKEN), truncated, length: all.length };
}
