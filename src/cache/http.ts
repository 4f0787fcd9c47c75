import { concatBytes } from '../bytes/concat';
import { CacheError } from '../errors';

/**
 * The slice of `fetch` the downloader uses, typed structurally so the engine needs no DOM lib. The
 * browser's and Node's global `fetch` fit it as they are; tests pass their own to reach a local server.
 */
export interface FetchInit {
  readonly headers: Record<string, string>;
  readonly signal?: AbortSignal;
}

export interface StreamReader {
  read(): Promise<{ done: boolean; value?: Uint8Array | undefined }>;
  cancel(reason?: unknown): Promise<void>;
}

export interface ResponseLike {
  readonly status: number;
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  readonly body: { getReader(): StreamReader } | null;
}

export type FetchLike = (url: string, init: FetchInit) => Promise<ResponseLike>;

/** The platform's fetch; an error naming the problem where there is none (old runtimes). */
export function globalFetch(): FetchLike {
  const found = (globalThis as { fetch?: FetchLike }).fetch;
  if (!found) throw new CacheError('this environment has no fetch(); pass one to the model cache');
  // Called on globalThis: some browsers throw "Illegal invocation" for a detached fetch.
  return (url, init) => found.call(globalThis, url, init);
}

/** What identifies one version of the remote file (RFC 9110 §8.8); used for If-Range on resume. */
export interface Validator {
  readonly etag?: string;
  readonly lastModified?: string;
}

export function validatorOf(response: ResponseLike): Validator {
  const etag = response.headers.get('etag');
  const lastModified = response.headers.get('last-modified');
  return { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
}

/**
 * Two validators name different versions when a field both carry differs. A field only one side
 * carries proves nothing (cross-origin responses hide ETag unless exposed), so it is not a change.
 */
export function validatorChanged(stored: Validator, got: Validator): boolean {
  const differs = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && a !== b;
  return differs(stored.etag, got.etag) || differs(stored.lastModified, got.lastModified);
}

/**
 * Headers to fetch `url` from byte `from` on. If-Range makes a server that honours it answer 200
 * with the whole new file when the stored version is stale (RFC 9110 §13.1.5); a weak ETag may not
 * be used there, so Last-Modified stands in for it.
 */
export function rangeHeaders(from: number, stored: Validator): Record<string, string> {
  if (from === 0) return {};
  const strongEtag = stored.etag && !stored.etag.startsWith('W/') ? stored.etag : undefined;
  const ifRange = strongEtag ?? stored.lastModified;
  return { Range: `bytes=${from}-`, ...(ifRange ? { 'If-Range': ifRange } : {}) };
}

export interface ContentRange {
  readonly start: number;
  readonly end: number;
  readonly total: number | undefined;
}

/** `bytes START-END/TOTAL` (TOTAL may be `*`); undefined when absent or malformed. */
export function parseContentRange(header: string | null): ContentRange | undefined {
  const m = header ? /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(header.trim()) : null;
  if (!m) return undefined;
  const total = m[3] === '*' ? undefined : Number(m[3]);
  return { start: Number(m[1]), end: Number(m[2]), total };
}

/** The whole file's size as a response tells it: Content-Range's total for 206, Content-Length for 200. */
export function totalSizeOf(response: ResponseLike): number | undefined {
  if (response.status === 206) return parseContentRange(response.headers.get('content-range'))?.total;
  const length = response.headers.get('content-length');
  return length !== null && /^\d+$/.test(length.trim()) ? Number(length) : undefined;
}

export function isHtmlContentType(contentType: string | null): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type === 'text/html' || type === 'application/xhtml+xml';
}

const HTML_STARTS = ['<!doctype', '<html'];

/**
 * True when the first bytes of a body are an HTML page (a login, error or "file moved" page served
 * with status 200; transformers.js #1187 cached one "forever"). Leading whitespace and a UTF-8 BOM
 * are skipped. Checkpoints start with `PK` (zip) or a binary length (safetensors), never with '<'.
 */
export function looksLikeHtml(head: Uint8Array): boolean {
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || (head[i]! >= 0x09 && head[i]! <= 0x0d))) i++;
  const text = String.fromCharCode(...head.subarray(i, i + 9)).toLowerCase();
  return HTML_STARTS.some((s) => text.startsWith(s));
}

/** A small body (a manifest, an API answer) read whole; over `limit` bytes it is not `what` it should be. */
export async function readCapped(response: ResponseLike, url: string, limit: number, what: string): Promise<Uint8Array> {
  const reader = response.body?.getReader();
  if (!reader) throw new CacheError(`${url} answered with no body`);
  const parts: Uint8Array[] = [];
  let size = 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    if (!r.value) continue;
    size += r.value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new CacheError(`${url} is over ${limit} bytes: that is not ${what}`);
    }
    parts.push(r.value);
  }
  return concatBytes(parts);
}
