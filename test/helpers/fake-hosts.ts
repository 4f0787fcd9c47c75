import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Local stand-ins for the hosts model files live on, each on its own port (its own origin), behaving
 * as the public record says the real ones do (issue 21):
 * - `gone`: answers 404 (openaipublic.azureedge.net's CLIP URLs since 2025);
 * - `release`: GitHub's release download link, a redirect to a CDN, neither hop sending CORS;
 * - `api`: GitHub's REST API, CORS on every answer: the release listing, and an asset's bytes as a
 *   redirect to the CDN (with `Accept: application/octet-stream`);
 * - `cdn`: the CDN, CORS only for requests that came through the API (a signed query parameter);
 * - `hf`: Hugging Face, CORS, Range, and the file's SHA-256 as X-Linked-Etag and ETag.
 * `requests` records every request as `host path`.
 */
export interface FakeHosts {
  readonly origins: Readonly<Record<HostName, string>>;
  readonly requests: string[];
  /** Files each host serves, by path; change between tests. */
  readonly files: Map<string, Uint8Array>;
  /** GitHub's API: release tag → assets (name → id). */
  readonly releases: Map<string, Map<string, number>>;
  /** Answer the API with 403 and a spent rate limit. */
  rateLimited: boolean;
  /** Milliseconds between 64 KiB pieces of a file body (a slow link, so a page can watch the progress). */
  paceMs: number;
  close(): Promise<void>;
}

export type HostName = 'gone' | 'release' | 'api' | 'cdn' | 'hf';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Content-Range, Content-Length, ETag, X-Linked-Etag',
  'Access-Control-Allow-Headers': 'Range, If-Range, Accept',
};

const PIECE = 64 * 1024;

function serveBytes(req: IncomingMessage, res: ServerResponse, bytes: Uint8Array, headers: Record<string, string>, paceMs: number): void {
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  const end = m && m[2] ? Math.min(Number(m[2]), bytes.length - 1) : bytes.length - 1;
  const part = bytes.subarray(start, end + 1);
  const range = m ? { 'Content-Range': `bytes ${start}-${end}/${bytes.length}` } : {};
  res.writeHead(m ? 206 : 200, { ...headers, ...range, 'Content-Type': 'application/octet-stream', 'Content-Length': String(part.length) });
  const next = (at: number): void => {
    if (res.destroyed) return;
    if (paceMs === 0 || at + PIECE >= part.length) return void res.end(part.subarray(at));
    res.write(part.subarray(at, at + PIECE), () => setTimeout(() => next(at + PIECE), paceMs));
  };
  next(0);
}

type Handler = (req: IncomingMessage, res: ServerResponse, path: string) => void;

function handlers(hosts: FakeHosts): Record<HostName, Handler> {
  const file = (path: string) => hosts.files.get(path.replace(/\?.*$/, ''));
  const notFound = (res: ServerResponse, headers: Record<string, string> = {}) => res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('Not Found');
  return {
    gone: (_req, res) => notFound(res, CORS),
    release: (_req, res, path) => {
      const name = path.split('/').pop()!;
      res.writeHead(302, { Location: `${hosts.origins.cdn}/${name}` }).end();
    },
    api: (req, res, path) => {
      if (req.method === 'OPTIONS') return void res.writeHead(204, { ...CORS, 'Access-Control-Allow-Methods': 'GET' }).end();
      if (hosts.rateLimited) {
        // GitHub's API exposes its rate-limit headers to pages.
        const expose = { 'Access-Control-Expose-Headers': 'X-RateLimit-Remaining, X-RateLimit-Reset' };
        return void res.writeHead(403, { ...CORS, ...expose, 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '1767225600', 'Content-Type': 'application/json' }).end('{"message":"API rate limit exceeded"}');
      }
      const tag = /^\/repos\/[^/]+\/[^/]+\/releases\/tags\/([^/]+)$/.exec(path);
      if (tag) {
        const assets = hosts.releases.get(decodeURIComponent(tag[1]!));
        if (!assets) return notFound(res, CORS);
        const listing = { assets: [...assets].map(([name, id]) => ({ id, name, size: hosts.files.get(`/${name}`)?.length })) };
        return void res.writeHead(200, { ...CORS, 'Content-Type': 'application/json' }).end(JSON.stringify(listing));
      }
      const asset = /^\/repos\/[^/]+\/[^/]+\/releases\/assets\/(\d+)$/.exec(path);
      const name = asset && [...hosts.releases.values()].flatMap((a) => [...a]).find(([, id]) => id === Number(asset[1]))?.[0];
      if (!name || req.headers.accept !== 'application/octet-stream') return notFound(res, CORS);
      res.writeHead(302, { ...CORS, Location: `${hosts.origins.cdn}/${name}?signed=1` }).end();
    },
    cdn: (req, res, path) => {
      const bytes = file(path);
      const cors = path.includes('?signed=1') ? CORS : {};
      if (!bytes) return notFound(res, cors);
      serveBytes(req, res, bytes, cors, hosts.paceMs);
    },
    hf: (req, res, path) => {
      if (req.method === 'OPTIONS') return void res.writeHead(204, { ...CORS, 'Access-Control-Allow-Methods': 'GET' }).end();
      const bytes = file(path);
      if (!bytes) return notFound(res, CORS);
      const digest = sha256(bytes);
      serveBytes(req, res, bytes, { ...CORS, ETag: `"${digest}"`, 'X-Linked-Etag': `"${digest}"` }, hosts.paceMs);
    },
  };
}

export async function startFakeHosts(): Promise<FakeHosts> {
  const servers: Server[] = [];
  const origins = {} as Record<HostName, string>;
  const hosts: FakeHosts = {
    origins, requests: [], files: new Map(), releases: new Map(), rateLimited: false, paceMs: 0,
    close: () => Promise.all(servers.map((s) => new Promise<void>((resolve) => {
      s.closeAllConnections();
      s.close(() => resolve());
    }))).then(() => undefined),
  };
  const routes = handlers(hosts);
  for (const name of Object.keys(routes) as HostName[]) {
    const server = createServer((req, res) => {
      hosts.requests.push(`${name} ${req.method ?? 'GET'} ${req.url ?? ''}`);
      routes[name](req, res, req.url ?? '/');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origins[name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    servers.push(server);
  }
  return hosts;
}
