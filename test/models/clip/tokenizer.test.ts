import { readFileSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import { openCheckpoint, readTensor } from '../../../src/checkpoint/index';
import { withFileSource } from '../../../src/cli/file-source';
import { cleanText, htmlUnescape } from '../../../src/models/clip/text-clean';
import { createClipTokenizer, EOT_TOKEN, type ClipTokenizer } from '../../../src/models/clip/tokenizer';
import { describeWithFixtures, fixturePath } from '../../fixtures';

interface PromptDetail {
  readonly text: string;
  readonly cleaned_lower: string;
  readonly bpe_ids_untruncated: number[];
  readonly truncated: boolean;
}

const settings = () => (JSON.parse(readFileSync(fixturePath('clip', 'clip_ref.json'), 'utf8')) as { settings: { prompts: string[]; prompt_details: PromptDetail[] } }).settings;

describeWithFixtures('CLIP tokenizer against clip.tokenize', () => {
  let tokenizer: ClipTokenizer;
  let reference: Int32Array;
  beforeAll(async () => {
    tokenizer = createClipTokenizer(readFileSync(fixturePath('clip', 'bpe_simple_vocab_16e6.txt.gz')));
    reference = await withFileSource(fixturePath('clip', 'clip_ref.safetensors'), async (s) => (await readTensor((await openCheckpoint(s)).tensors.get('tokens')!)) as Int32Array);
  });

  it('gives the fixture ids for every prompt (24 × 77, exact)', () => {
    const { prompts } = settings();
    expect(reference.length).toBe(prompts.length * 77);
    prompts.forEach((p, i) => expect([...tokenizer.tokenize(p).ids], `prompt ${i}: ${JSON.stringify(p)}`).toEqual([...reference.subarray(i * 77, (i + 1) * 77)]));
  });

  it('cleans, lower-cases and splits as upstream (untruncated BPE ids and cleaned text)', () => {
    for (const d of settings().prompt_details) {
      expect(cleanText(d.text), JSON.stringify(d.text)).toBe(d.cleaned_lower);
      expect(tokenizer.encode(d.text), JSON.stringify(d.text)).toEqual(d.bpe_ids_untruncated);
    }
  });

  it('reports truncation of an over-long prompt and ends it with the end token', () => {
    const details = settings().prompt_details;
    const long = details.find((d) => d.truncated)!;
    const t = tokenizer.tokenize(long.text);
    expect(t.truncated).toBe(true);
    expect(t.length).toBe(long.bpe_ids_untruncated.length + 2);
    expect(t.ids[76]).toBe(EOT_TOKEN);
    expect(tokenizer.tokenize(details[0]!.text).truncated).toBe(false);
  });

  it('pools at the first end token, a literal <|endoftext|> included', () => {
    const t = tokenizer.tokenize('a <|endoftext|> b');
    expect(t.eotIndex).toBe(2);
    expect(t.ids[t.eotIndex]).toBe(EOT_TOKEN);
  });
});

it('unescapes HTML references as Python html.unescape does', () => {
  expect(htmlUnescape('&amp;lt; &#65;&#x42; &#128; &#0; &#1; &ampx &notanentity; &bogus; &hellip;')).toBe('&lt; AB \u20ac \ufffd  &x \u00acanentity; &bogus; \u2026');
  expect(cleanText('  A\u0085\u3000b\t\tC\u001c ')).toBe('a b c');
});
