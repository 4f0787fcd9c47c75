import { gzipSync } from 'fflate';
import { byteAlphabet } from '../clip/bpe';

/** simple_tokenizer.py reads 49152 − 256 − 2 merge lines after a header line. */
const MERGES = 49152 - 256 - 2;

/** Letters in rough English frequency order, so the first merges join common letter pairs. */
const COMMON = 'etaoinshrdlucmfwypvbgkjqxz';

/**
 * A synthetic byte-level BPE vocabulary in the format of bpe_simple_vocab_16e6.txt (a header, then
 * one merge per line), generated in code for the demo pack: OpenAI's vocabulary file is data we do
 * not ship. Every merge joins two byte symbols (word-final ones first, then inner pairs), so the
 * table has CLIP's 49408 ids and the real tokenizer code runs on it unchanged; the ids mean nothing.
 */
export function demoVocabularyText(): string {
  const { order, char } = byteAlphabet();
  const letters = [...COMMON].map((c) => char[c.charCodeAt(0)]!);
  const rest = order.map((b) => char[b]!).filter((s) => !letters.includes(s));
  const symbols = [...letters, ...rest];
  const lines = ['#version: demo (synthetic)'];
  for (const end of ['</w>', '']) {
    for (const a of symbols) {
      for (const b of symbols) {
        if (lines.length > MERGES) break;
        lines.push(`${a} ${b}${end}`);
      }
    }
  }
  return lines.join('\n');
}

/** The vocabulary gzipped, as createClipTokenizer takes it. */
export const demoVocabularyGz = (): Uint8Array => gzipSync(new TextEncoder().encode(demoVocabularyText()), { level: 1 });
