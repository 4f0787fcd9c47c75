/**
 * Byte-level BPE as CLIP's simple_tokenizer.py does it: every UTF-8 byte is first mapped to a
 * printable character (bytes_to_unicode), then merges are applied lowest rank first, with '</w>'
 * marking the last symbol of a word.
 */

/** bytes_to_unicode: printable Latin-1 bytes map to themselves, the rest to U+0100 onwards, in byte order. */
export function byteAlphabet(): { order: number[]; char: string[] } {
  const order: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) order.push(b);
  for (let b = 0xa1; b <= 0xac; b++) order.push(b);
  for (let b = 0xae; b <= 0xff; b++) order.push(b);
  const char: string[] = new Array<string>(256);
  for (const b of order) char[b] = String.fromCharCode(b);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (char[b] !== undefined) continue;
    order.push(b);
    char[b] = String.fromCharCode(256 + extra++);
  }
  return { order, char };
}

const pairKey = (a: string, b: string): string => `${a} ${b}`;

/** One merge pass: every non-overlapping occurrence of (first, second), left to right, becomes one symbol. */
function mergeOnce(word: readonly string[], first: string, second: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < word.length;) {
    if (word[i] === first && i < word.length - 1 && word[i + 1] === second) {
      out.push(first + second);
      i += 2;
    } else {
      out.push(word[i]!);
      i += 1;
    }
  }
  return out;
}

/** The adjacent pair of lowest rank, or undefined when no adjacent pair is a merge. */
function bestPair(word: readonly string[], ranks: ReadonlyMap<string, number>): [string, string] | undefined {
  let best: [string, string] | undefined;
  let bestRank = Infinity;
  for (let i = 0; i + 1 < word.length; i++) {
    const rank = ranks.get(pairKey(word[i]!, word[i + 1]!));
    if (rank !== undefined && rank < bestRank) {
      bestRank = rank;
      best = [word[i]!, word[i + 1]!];
    }
  }
  return best;
}

/** SimpleTokenizer.bpe: the symbols of one byte-encoded word after all merges. */
export function bpeWord(token: string, ranks: ReadonlyMap<string, number>): string[] {
  let word = [...token];
  word[word.length - 1] += '</w>';
  for (;;) {
    if (word.length === 1) return word;
    const pair = bestPair(word, ranks);
    if (!pair) return word;
    word = mergeOnce(word, pair[0], pair[1]);
  }
}

export { pairKey };
