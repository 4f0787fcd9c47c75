import { EngineError } from '../../errors';
import type { PyValue } from './flags';

/**
 * The small YAML subset of clip-diffusion-art's `configs/*.yaml`: top-level keys, each holding
 * either a scalar or one indented block of `key: scalar` lines; keys and values plain or quoted;
 * `#` comments. Scalars resolve as PyYAML's safe_load does (YAML 1.1), which is where the files'
 * quirks come from: `'use_fp16': True,` is the string "True," (truthy), `'16'` stays a string.
 * Anything outside the subset (lists, flow collections, anchors, multi-line scalars) is refused
 * with its line number rather than guessed at.
 */
export type YamlDocument = Readonly<Record<string, PyValue | Readonly<Record<string, PyValue>>>>;

const BOOL_TRUE = ['yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'];
const BOOL_FALSE = ['no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'];
const NULLS = ['', '~', 'null', 'Null', 'NULL'];
const INT = /^[-+]?(0|[1-9][0-9_]*)$/;
const FLOAT = /^[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+]?[0-9]+)?$/;

/** PyYAML's implicit resolvers for a plain (unquoted) scalar. */
function resolvePlain(text: string): PyValue {
  if (BOOL_TRUE.includes(text)) return true;
  if (BOOL_FALSE.includes(text)) return false;
  if (NULLS.includes(text)) return null;
  if (INT.test(text)) return Number(text.replace(/_/g, ''));
  if (FLOAT.test(text) && /[0-9]/.test(text)) return Number(text.replace(/_/g, ''));
  if (/^[-+]?\.(inf|Inf|INF)$/.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^\.(nan|NaN|NAN)$/.test(text)) return NaN;
  return text;
}

/** Reads a quoted scalar at the start of `s`; returns its value and the text after the closing quote. */
function readQuoted(s: string, line: number): [string, string] {
  const q = s[0]!;
  let out = '';
  for (let i = 1; i < s.length; i++) {
    const c = s[i]!;
    if (q === "'" && c === "'" && s[i + 1] === "'") out += s[++i];
    else if (c === q) return [out, s.slice(i + 1)];
    else if (q === '"' && c === '\\') out += unescape(s[++i] ?? '', line);
    else out += c;
  }
  throw new EngineError(`yaml line ${line}: unterminated ${q === "'" ? 'single' : 'double'}-quoted scalar`);
}

function unescape(c: string, line: number): string {
  const map: Record<string, string> = { n: '\n', t: '\t', '"': '"', '\\': '\\', '/': '/', '0': '\0', r: '\r' };
  if (map[c] === undefined) throw new EngineError(`yaml line ${line}: unsupported escape \\${c}`);
  return map[c];
}

/** Strips a comment: `#` at the start or after whitespace. */
const stripComment = (s: string): string => s.replace(/(^|\s)#.*$/, '').trimEnd();

/** A scalar: quoted (then only a comment may follow) or plain (comment stripped, trimmed). */
function scalar(text: string, line: number): PyValue {
  const s = text.trim();
  if (s.startsWith("'") || s.startsWith('"')) {
    const [value, after] = readQuoted(s, line);
    if (stripComment(after).trim() !== '') throw new EngineError(`yaml line ${line}: unexpected text after a quoted scalar: ${after.trim()}`);
    return value;
  }
  if (/^[[{&*!|>%@`]/.test(s)) throw new EngineError(`yaml line ${line}: only plain or quoted scalars are supported, got ${s}`);
  return resolvePlain(stripComment(s).trim());
}

/** Splits `key: value` (key plain or quoted); the value part may be empty. */
function keyValue(text: string, line: number): [string, string] {
  const s = text.trim();
  if (s.startsWith("'") || s.startsWith('"')) {
    const [key, after] = readQuoted(s, line);
    const m = /^\s*:(\s|$)(.*)$/s.exec(after);
    if (!m) throw new EngineError(`yaml line ${line}: expected ':' after the key '${key}'`);
    return [key, m[2] ?? ''];
  }
  const m = /^([^#:]+?)\s*:(\s+(.*))?$/.exec(s);
  if (!m) throw new EngineError(`yaml line ${line}: expected 'key: value', got ${s}`);
  return [m[1]!, m[3] ?? ''];
}

/** Parses a document of the subset described above. Duplicate keys keep the last value, as PyYAML does. */
export function parseYaml(text: string): YamlDocument {
  const doc: Record<string, PyValue | Record<string, PyValue>> = {};
  let block: Record<string, PyValue> | undefined;
  let blockIndent = -1;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (stripComment(raw).trim() === '' || raw.trim() === '---') return;
    if (raw.includes('\t')) throw new EngineError(`yaml line ${line}: tabs are not allowed for indentation`);
    const indent = raw.length - raw.trimStart().length;
    const [key, value] = keyValue(raw, line);
    if (indent === 0) {
      block = undefined;
      blockIndent = -1;
      if (stripComment(value).trim() === '') doc[key] = block = {};
      else doc[key] = scalar(value, line);
      return;
    }
    if (!block) throw new EngineError(`yaml line ${line}: indented key '${key}' outside a mapping`);
    if (blockIndent === -1) blockIndent = indent;
    if (indent !== blockIndent) throw new EngineError(`yaml line ${line}: nested mappings are not supported (indent ${indent}, expected ${blockIndent})`);
    block[key] = scalar(value, line);
  });
  return doc;
}

/** The `model_config` mapping of a clip-diffusion-art config file (what sample.py passes on to create_model_and_diffusion). */
export function parseModelConfigYaml(text: string): Record<string, PyValue> {
  const doc = parseYaml(text);
  const config = doc.model_config;
  if (config === undefined) throw new EngineError("yaml: no 'model_config' mapping (clip-diffusion-art's config layout)");
  if (config === null || typeof config !== 'object') throw new EngineError("yaml: 'model_config' must be a mapping of keys to values");
  return { ...config };
}
