import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A file the server hosts: bytes read from the fixtures (never copied) or made by the test. */
export interface HostedFile {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly contentType?: string;
}

export interface ModelServer {
  readonly origin: string;
  /** Requests per path, preflights excluded. */
  readonly requests: Map<string, string[]>;
  /** The next full GET of `name` stops after `bytes` bytes (the socket is destroyed). */
  cutOnce(name: string, bytes: number): void;
  /** The next full GET of `name` is sent in 64 KiB pieces `ms` apart (a slow link, so another tab can join in). */
  paceOnce(name: string, ms: number): void;
  close(): Promise<void>;
}

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export const hostFixture = (name: string, path: string): HostedFile => ({ name, bytes: new Uint8Array(readFileSync(path)) });

// The studio is cross-origin isolated (COEP require-corp) and reads these with CORS, like a real CDN would allow.
const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Range, If-Range',
  'Access-Control-Expose-Headers': 'Content-Length, Content-Range, ETag, Last-Modified, Accept-Ranges',
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

const PIECE = 64 * 1024;

/** Writes `body` in pieces `ms` apart, stopping if the client goes away. */
function sendPaced(res: ServerResponse, body: Uint8Array, ms: number): void {
  const next = (at: number) => {
    if (res.destroyed) return;
    if (at >= body.byteLength) return void res.end();
    res.write(body.subarray(at, at + PIECE), () => setTimeout(() => next(at + PIECE), ms));
  };
  next(0);
}

/** Each file's ETag, hashed once (the studio bench serves checkpoints of hundreds of MB). */
const etags = new WeakMap<HostedFile, string>();

function etagOf(file: HostedFile): string {
  let etag = etags.get(file);
  if (!etag) etags.set(file, (etag = `"${sha256Hex(file.bytes).slice(0, 16)}"`));
  return etag;
}

function sendRange(req: IncomingMessage, res: ServerResponse, file: HostedFile, cut: number | undefined, paceMs?: number): void {
  const etag = etagOf(file);
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const ifRange = req.headers['if-range'];
  const start = range && (!ifRange || ifRange === etag) ? Number(range[1]) : 0;
  const body = file.bytes.subarray(start);
  const headers = { ...CORS, 'Content-Type': file.contentType ?? 'application/octet-stream', 'Content-Length': String(body.byteLength), ETag: etag, 'Accept-Ranges': 'bytes' };
  if (start > 0) res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${file.bytes.byteLength - 1}/${file.bytes.byteLength}` });
  else res.writeHead(200, headers);
  if (paceMs !== undefined) return sendPaced(res, body, paceMs);
  if (cut === undefined) {
    res.end(body);
    return;
  }
  res.write(body.subarray(0, cut), () => setTimeout(() => res.destroy(), 50));
}

/** A plain HTTP server on 127.0.0.1 standing in for the models' hosts: Range, ETag, CORS, counted requests. */
export async function serveModels(files: readonly HostedFile[]): Promise<ModelServer> {
  const requests = new Map<string, string[]>();
  const cuts = new Map<string, number>();
  const paces = new Map<string, number>();
  const server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').slice(1));
    if (req.method === 'OPTIONS') return void res.writeHead(204, CORS).end();
    requests.set(name, [...(requests.get(name) ?? []), req.headers.range ?? 'full']);
    const file = files.find((f) => f.name === name);
    if (!file) return void res.writeHead(404, CORS).end('not found');
    const [cut, pace] = req.headers.range ? [] : [cuts.get(name), paces.get(name)];
    cuts.delete(name);
    paces.delete(name);
    sendRange(req, res, file, cut, pace);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    cutOnce: (name, bytes) => void cuts.set(name, bytes),
    paceOnce: (name, ms) => void paces.set(name, ms),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface HostedModel {
  readonly id: string;
  readonly kind: string;
  readonly label: string;
  readonly files: readonly (HostedFile & { role: string; sha256?: string; keep?: readonly string[] })[];
}

/** A pack manifest (the built-in format) listing hosted checkpoints as "real" models, by relative URL, plus `extra` entries as they are. */
export function packOf(models: readonly HostedModel[], extra: readonly object[] = []) {
  const entry = (m: HostedModel) => ({
    id: m.id, kind: m.kind, label: m.label, format: 'checkpoint',
    files: m.files.map((f) => ({ name: f.name, role: f.role, url: f.name, size: f.bytes.byteLength, ...(f.sha256 ? { sha256: f.sha256 } : {}), ...(f.keep ? { keep: f.keep } : {}) })),
  });
  return { format: 'clip-diffusion-web/models', version: 1, name: 'Test models', models: [...models.map(entry), ...extra] };
}
