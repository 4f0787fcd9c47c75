/**
 * CLIP's text cleaning (simple_tokenizer.py basic_clean / whitespace_clean) without ftfy: the only
 * part of ftfy.fix_text kept is its final NFC normalisation; mojibake repair, quote uncurling and
 * width folding are not reproduced.
 */

/** Python's str.isspace() set, which str.strip() removes (wider than the regex module's \s by \x1c–\x1f). */
const PY_STRIP_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** The `regex` module's \s on str patterns (JS's \s differs: it has U+FEFF and lacks U+0085). */
export const REGEX_SPACE = '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const STRIP = new RegExp(`^[${PY_STRIP_SPACE}]+|[${PY_STRIP_SPACE}]+$`, 'gu');
const SPACE_RUNS = new RegExp(`[${REGEX_SPACE}]+`, 'gu');

/**
 * HTML5's legacy named references (accepted without the semicolon too): the Latin-1 block
 * U+00A0…U+00FF in code point order, then the ASCII ones and upper-case aliases.
 */
const LATIN1_NAMES = 'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml';
const LEGACY_ENTITIES: Readonly<Record<string, string>> = {
  ...Object.fromEntries(LATIN1_NAMES.split(' ').map((name, i) => [name, String.fromCharCode(0xa0 + i)])),
  amp: '&', AMP: '&', lt: '<', LT: '<', gt: '>', GT: '>', quot: '"', QUOT: '"', COPY: '\u00a9', REG: '\u00ae',
};
/**
 * Common named references that need the semicolon. Python's html.unescape knows all 2231 of HTML5;
 * the rest are kept literally here (a known difference, for rare prompts only).
 */
const SEMICOLON_ENTITIES: Readonly<Record<string, string>> = {
  apos: "'", hellip: '\u2026', mdash: '\u2014', ndash: '\u2013', lsquo: '\u2018', rsquo: '\u2019',
  ldquo: '\u201c', rdquo: '\u201d', trade: '\u2122', euro: '\u20ac', bull: '\u2022', larr: '\u2190', rarr: '\u2192',
};

/** html.unescape's replacements for numeric references to C1 controls (Windows-1252 reading). */
const CP1252: Readonly<Record<number, string>> = {
  0x80: '\u20ac', 0x82: '\u201a', 0x83: '\u0192', 0x84: '\u201e', 0x85: '\u2026', 0x86: '\u2020', 0x87: '\u2021',
  0x88: '\u02c6', 0x89: '\u2030', 0x8a: '\u0160', 0x8b: '\u2039', 0x8c: '\u0152', 0x8e: '\u017d', 0x91: '\u2018',
  0x92: '\u2019', 0x93: '\u201c', 0x94: '\u201d', 0x95: '\u2022', 0x96: '\u2013', 0x97: '\u2014', 0x98: '\u02dc',
  0x99: '\u2122', 0x9a: '\u0161', 0x9b: '\u203a', 0x9c: '\u0153', 0x9e: '\u017e', 0x9f: '\u0178', 0x0d: '\r', 0x00: '\ufffd',
};

/** Code points html.unescape drops (controls and non-characters), per Python's html._invalid_codepoints. */
function isDroppedCodePoint(cp: number): boolean {
  return (cp >= 0x1 && cp <= 0x8) || cp === 0xb || (cp >= 0xe && cp <= 0x1f) || (cp >= 0x7f && cp <= 0x9f)
    || (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe;
}

function numericReference(digits: string): string {
  const cp = digits[0] === 'x' || digits[0] === 'X' ? parseInt(digits.slice(1), 16) : parseInt(digits, 10);
  if (Object.hasOwn(CP1252, cp)) return CP1252[cp]!;
  if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return '\ufffd';
  return isDroppedCodePoint(cp) ? '' : String.fromCodePoint(cp);
}

/** A named reference as html.unescape resolves it: exact name with ';', else the longest legacy prefix. */
function namedReference(name: string, whole: string): string {
  const bare = name.endsWith(';') ? name.slice(0, -1) : name;
  if (name.endsWith(';') && Object.hasOwn(SEMICOLON_ENTITIES, bare)) return SEMICOLON_ENTITIES[bare]!;
  if (name.endsWith(';') && Object.hasOwn(LEGACY_ENTITIES, bare)) return LEGACY_ENTITIES[bare]!;
  for (let n = name.length - (name.endsWith(';') ? 1 : 0); n > 1; n--) {
    const prefix = name.slice(0, n);
    if (Object.hasOwn(LEGACY_ENTITIES, prefix)) return LEGACY_ENTITIES[prefix]! + name.slice(n);
  }
  return whole;
}

// Python's html._charref pattern.
const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g;

/** Python's html.unescape for numeric references and the named ones above. */
export function htmlUnescape(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(CHARREF, (whole, ref: string) => {
    if (ref[0] === '#') return numericReference(ref.slice(1).replace(/;$/, ''));
    return namedReference(ref, whole);
  });
}

/** basic_clean (ftfy replaced by NFC) then whitespace_clean, then lower-casing, as SimpleTokenizer.encode does. */
export function cleanText(text: string): string {
  const basic = htmlUnescape(htmlUnescape(text.normalize('NFC'))).replace(STRIP, '');
  return basic.replace(SPACE_RUNS, ' ').replace(STRIP, '').toLowerCase();
}
