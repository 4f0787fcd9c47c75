import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the local server misbehaves; change it between requests with `server.configure`. */
export interface ServeOptions {
  body: Uint8Array;
  etag: string | undefined;
  lastModified: string | undefined;
  contentType: string;
  /** Answer 200 with the whole body whatever Range says. */
  ignoreRange: boolean;
  /** Honour Range but never If-Range (send 206 even when the validator no longer matches). */
  ignoreIfRange: boolean;
  /** Destroy the socket after this many body bytes of a response... */
  cutAfter: number | undefined;
  /** ...for this many more responses. */
  cuts: number;
  /** Milliseconds to wait between 16 KiB writes. */
  delayMs: number;
  /** Status to answer every request with instead of the file (404, 500...). */
  status: number | undefined;
  /** Send no Content-Length (chunked transfer encoding), so the size is unknown until the end. */
  noLength: boolean;
}

export interface ServedRequest {
  readonly range: string | undefined;
  readonly ifRange: string | undefined;
  readonly status: number;
  bytesSent: number;
}

export interface TestServer {
  readonly url: string;
  readonly requests: ServedRequest[];
  bytesServed(): number;
  configure(options: Partial<ServeOptions>): void;
  close(): Promise<void>;
}

const PIECE = 16 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The range a request asks for, if it is a simple `bytes=N-` or `bytes=N-M` inside the body. */
function rangeOf(header: string | undefined, size: number): { start: number; end: number } | undefined {
  const m = header ? /^bytes=(\d+)-(\d*)$/.exec(header) : null;
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  return start < size && start <= end ? { start, end } : undefined;
}

function headersFor(o: ServeOptions): Record<string, string> {
  return {
    'Content-Type': o.contentType,
    'Accept-Ranges': o.ignoreRange ? 'none' : 'bytes',
    ...(o.etag ? { ETag: o.etag } : {}),
    ...(o.lastModified ? { 'Last-Modified': o.lastModified } : {}),
  };
}

async function send(res: ServerResponse, bytes: Uint8Array, o: ServeOptions, record: ServedRequest): Promise<void> {
  const cut = o.cuts > 0 ? o.cutAfter : undefined;
  if (cut !== undefined) o.cuts--;
  for (let at = 0; at < bytes.length; at += PIECE) {
    if (res.destroyed) return;
    const piece = bytes.subarray(at, Math.min(bytes.length, at + PIECE, cut ?? Infinity));
    if (piece.length > 0) {
      res.write(piece);
      record.bytesSent += piece.length;
    }
    if (cut !== undefined && at + PIECE >= cut) {
      // Let the bytes leave before the connection drops, as a real mid-body drop would.
      await sleep(20);
      res.socket?.destroy();
      return;
    }
    if (o.delayMs > 0) await sleep(o.delayMs);
  }
  res.end();
}

function handle(req: IncomingMessage, res: ServerResponse, o: ServeOptions, requests: ServedRequest[]): Promise<void> {
  const rangeHeader = req.headers.range;
  const ifRange = req.headers['if-range'] as string | undefined;
  const validatorOk = ifRange === undefined || o.ignoreIfRange || ifRange === o.etag || ifRange === o.lastModified;
  const range = !o.ignoreRange && validatorOk ? rangeOf(rangeHeader, o.body.length) : undefined;
  const status = o.status ?? (range ? 206 : 200);
  const record: ServedRequest = { range: rangeHeader, ifRange, status, bytesSent: 0 };
  requests.push(record);
  if (o.status !== undefined) {
    res.writeHead(o.status, { 'Content-Type': 'text/plain' }).end('no such file');
    return Promise.resolve();
  }
  const bytes = range ? o.body.subarray(range.start, range.end + 1) : o.body;
  const extra = range ? { 'Content-Range': `bytes ${range.start}-${range.end}/${o.body.length}` } : {};
  res.writeHead(status, { ...headersFor(o), ...extra, ...(o.noLength ? {} : { 'Content-Length': String(bytes.length) }) });
  return send(res, bytes, o, record);
}

/** A file server on 127.0.0.1 (port 0) with Range/If-Range, and switches to cut, slow down, ignore Range or change the file. */
export async function startServer(initial: Partial<ServeOptions> & { body: Uint8Array }): Promise<TestServer> {
  const options: ServeOptions = {
    etag: '"v1"', lastModified: undefined, contentType: 'application/octet-stream', ignoreRange: false, ignoreIfRange: false,
    cutAfter: undefined, cuts: Number.POSITIVE_INFINITY, delayMs: 0, status: undefined, noLength: false, ...initial,
  };
  const requests: ServedRequest[] = [];
  const server = createServer((req, res) => void handle(req, res, options, requests));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/model.bin`,
    requests,
    bytesServed: () => requests.reduce((n, r) => n + r.bytesSent, 0),
    configure: (changes) => void Object.assign(options, changes),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Deterministic test bytes (xorshift32), so failures reproduce. */
export function testBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
