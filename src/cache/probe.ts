import { isHtmlContentType, totalSizeOf, type FetchLike, type ResponseLike } from './http';

/** What a one-byte request tells of a source before its whole body is fetched. */
export interface ProbeAnswer {
  readonly status: number;
  /** The file's size, from Content-Range (206) or Content-Length (200); undefined when hidden or absent. */
  readonly size: number | undefined;
  /** A SHA-256 the host states: Hugging Face's X-Linked-Etag or an ETag of 64 hex digits (LFS files). */
  readonly sha256: string | undefined;
  readonly html: boolean;
}

const SHA256_ETAG = /^(?:W\/)?"?([0-9a-f]{64})"?$/i;

/** The digest an ETag-like header carries, when it is one (Hugging Face names LFS files by their SHA-256). */
function stated256(headers: ResponseLike['headers']): string | undefined {
  for (const name of ['x-linked-etag', 'etag']) {
    const m = SHA256_ETAG.exec(headers.get(name)?.trim() ?? '');
    if (m) return m[1]!.toLowerCase();
  }
  return undefined;
}

/**
 * Asks for the first byte only (`Range: bytes=0-0`, a CORS-safelisted header: no preflight). Rejects
 * as fetch does when the host cannot be reached, which in a browser includes a CORS refusal.
 */
export async function probeSource(fetch: FetchLike, url: string, headers: Readonly<Record<string, string>> = {}, signal?: AbortSignal): Promise<ProbeAnswer> {
  const response = await fetch(url, { headers: { ...headers, Range: 'bytes=0-0' }, ...(signal ? { signal } : {}) });
  await response.body?.getReader().cancel().catch(() => undefined);
  return { status: response.status, size: totalSizeOf(response), sha256: stated256(response.headers), html: isHtmlContentType(response.headers.get('content-type')) };
}

/** Why a probed source cannot give the file the manifest expects there; undefined when it may. */
export function probeVerdict(answer: ProbeAnswer, expected: { readonly size?: number | undefined; readonly sha256?: string | undefined }): string | undefined {
  if (answer.status === 404 || answer.status === 410) return `not found (HTTP ${answer.status})`;
  if (answer.status !== 200 && answer.status !== 206) return `HTTP ${answer.status}`;
  if (answer.html) return 'a web page (HTML), not the file';
  if (expected.size !== undefined && answer.size !== undefined && answer.size !== expected.size) {
    return `wrong size (the host says ${answer.size} bytes, expected ${expected.size})`;
  }
  if (expected.sha256 !== undefined && answer.sha256 !== undefined && answer.sha256 !== expected.sha256.toLowerCase()) {
    return `wrong hash (the host states SHA-256 ${answer.sha256}, expected ${expected.sha256.toLowerCase()})`;
  }
  return undefined;
}
