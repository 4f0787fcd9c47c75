import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createModelCache, memoryStore, QuotaError, type DownloadProgress, type KeyValueStore, type ModelCacheOptions } from '../../src/cache';
import { memorySource } from '../../src/checkpoint';
import { expectSameBytes } from './helpers/bytes';
import { startServer, testBytes, type ServeOptions, type TestServer } from './helpers/server';

const CHUNK = 64 * 1024;
const SIZE = 300_000 + 17; // 4 full chunks and a short fifth
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(options: Partial<ServeOptions> & { body: Uint8Array }): Promise<TestServer> {
  server = await startServer(options);
  return server;
}

const cacheOn = (store: KeyValueStore, extra: Partial<ModelCacheOptions> = {}) => createModelCache({ store, chunkBytes: CHUNK, ...extra });

async function readAll(cache: ReturnType<typeof cacheOn>, url: string): Promise<Uint8Array> {
  const source = await cache.open(url);
  return source.read(0, source.size);
}

describe('download', () => {
  it('streams a file into chunk records, verifies its SHA-256 and reads it back bit-exactly', async () => {
    const body = testBytes(SIZE);
    const srv = await serve({ body });
    const store = memoryStore();
    const cache = cacheOn(store);
    const events: DownloadProgress[] = [];
    const file = await cache.download({ url: srv.url, sha256: sha256(body) }, { onProgress: (p) => events.push(p) });
    expect(file).toEqual({ url: srv.url, size: SIZE, sha256: sha256(body) });
    expectSameBytes(await readAll(cache, srv.url), body);
    // 5 chunk records + 1 meta; each chunk is its own exact-size buffer.
    expect((await store.keys()).length).toBe(6);
    expect(store.usedBytes()).toBeGreaterThanOrEqual(SIZE);
    expect(events.at(-1)).toMatchObject({ phase: 'done', bytesDone: SIZE, totalBytes: SIZE, fraction: 1 });
    expect(events.some((e) => e.phase === 'verifying')).toBe(true);
    // A second request for the same file is answered from the cache: no new request.
    await cache.download({ url: srv.url, sha256: sha256(body) });
    expect(srv.requests).toHaveLength(1);
  });

  it('without a known digest, verifies by the size the server announced and records the digest', async () => {
    const body = testBytes(SIZE, 2);
    const srv = await serve({ body });
    const file = await cacheOn(memoryStore()).download({ url: srv.url });
    expect(file.sha256).toBe(sha256(body));
    expect(file.size).toBe(SIZE);
  });

  it('downloads a file whose size the server does not announce, reporting no total until the end', async () => {
    const body = testBytes(SIZE, 17);
    const srv = await serve({ body, noLength: true, delayMs: 2 });
    const events: DownloadProgress[] = [];
    const file = await cacheOn(memoryStore()).download({ url: srv.url, sha256: sha256(body) }, { onProgress: (p) => events.push(p) });
    expect(file.size).toBe(SIZE);
    expect(events.find((e) => e.phase === 'downloading')).toMatchObject({ totalBytes: undefined, fraction: undefined, etaSeconds: undefined });
  });

  it('fetches again when the manifest now expects another digest than the cached file has', async () => {
    const body = testBytes(SIZE, 18);
    const srv = await serve({ body });
    const store = memoryStore();
    await cacheOn(store).download({ url: srv.url });
    srv.configure({ body: testBytes(SIZE, 19), etag: '"v2"' });
    const file = await cacheOn(store).download({ url: srv.url, sha256: sha256(testBytes(SIZE, 19)).toUpperCase() });
    expect(file.sha256).toBe(sha256(testBytes(SIZE, 19)));
    expect(srv.requests).toHaveLength(2);
  });

  it('resumes a dropped connection from the stored byte count within the same call', async () => {
    const body = testBytes(SIZE, 3);
    const srv = await serve({ body, cutAfter: 200_000, cuts: 1 });
    const file = await cacheOn(memoryStore()).download({ url: srv.url, sha256: sha256(body) });
    expect(file.sha256).toBe(sha256(body));
    const stored = 3 * CHUNK; // the three whole chunks before the cut
    expect(srv.requests.map((r) => r.range)).toEqual([undefined, `bytes=${stored}-`]);
    expect(srv.requests[1]).toMatchObject({ status: 206, ifRange: '"v1"' });
    // The second response carried only the missing bytes: nothing was fetched twice but the unstored tail.
    expect(srv.bytesServed()).toBe(200_000 + (SIZE - stored));
  });

  it('resumes after a reload (a new cache on the same store) with Range + If-Range', async () => {
    const body = testBytes(SIZE, 4);
    const srv = await serve({ body, cutAfter: 150_000, cuts: 1 });
    const store = memoryStore();
    await expect(cacheOn(store, { maxAttempts: 1 }).download({ url: srv.url })).rejects.toMatchObject({
      name: 'CacheError', message: expect.stringMatching(/dropped after .* were stored.*resumes/),
    });
    expect(await cacheOn(store).status(srv.url)).toEqual({ url: srv.url, state: 'partial', bytesDone: 2 * CHUNK, totalBytes: SIZE, sha256: undefined, storedBytes: 2 * CHUNK });
    await expect(cacheOn(store).open(srv.url)).rejects.toThrow(/not finished/);

    const events: DownloadProgress[] = [];
    const file = await cacheOn(store).download({ url: srv.url, sha256: sha256(body) }, { onProgress: (p) => events.push(p) });
    expect(file.sha256).toBe(sha256(body));
    expect(srv.requests[1]).toMatchObject({ range: `bytes=${2 * CHUNK}-`, ifRange: '"v1"', status: 206 });
    expect(srv.bytesServed()).toBe(150_000 + SIZE - 2 * CHUNK);
    // The stored part is re-hashed before resuming (its SHA-256 state is not persisted).
    expect(events.filter((e) => e.phase === 'rehashing').at(-1)?.bytesDone).toBe(2 * CHUNK);
  });

  it('restarts cleanly when the server ignores Range (200 instead of 206)', async () => {
    const body = testBytes(SIZE, 5);
    const srv = await serve({ body, cutAfter: 150_000, cuts: 1 });
    const store = memoryStore();
    await expect(cacheOn(store, { maxAttempts: 1 }).download({ url: srv.url })).rejects.toThrow(/dropped/);
    srv.configure({ ignoreRange: true });
    const file = await cacheOn(store).download({ url: srv.url, sha256: sha256(body) });
    expect(file.sha256).toBe(sha256(body));
    expect(srv.requests.map((r) => r.status)).toEqual([200, 200]);
    expect(srv.bytesServed()).toBe(150_000 + SIZE);
    expect((await store.keys()).length).toBe(6);
  });

  it('restarts when the file changed (If-Range answered with the new file)', async () => {
    const srv = await serve({ body: testBytes(SIZE, 6), cutAfter: 150_000, cuts: 1 });
    const store = memoryStore();
    await expect(cacheOn(store, { maxAttempts: 1 }).download({ url: srv.url })).rejects.toThrow(/dropped/);
    const changed = testBytes(SIZE - 1000, 7);
    srv.configure({ body: changed, etag: '"v2"' });
    const file = await cacheOn(store).download({ url: srv.url });
    expect(file).toMatchObject({ size: changed.length, sha256: sha256(changed) });
    expectSameBytes(await readAll(cacheOn(store), srv.url), changed);
    expect(srv.requests[1]).toMatchObject({ ifRange: '"v1"', status: 200 });
    expect((await store.keys()).length).toBe(6);
  });

  it('restarts when a server without If-Range sends a 206 of a different version', async () => {
    const srv = await serve({ body: testBytes(SIZE, 8), cutAfter: 150_000, cuts: 1, ignoreIfRange: true });
    const store = memoryStore();
    await expect(cacheOn(store, { maxAttempts: 1 }).download({ url: srv.url })).rejects.toThrow(/dropped/);
    const changed = testBytes(SIZE, 9);
    srv.configure({ body: changed, etag: '"v2"' });
    const file = await cacheOn(store).download({ url: srv.url });
    expect(file.sha256).toBe(sha256(changed));
    // The stale 206 was dropped unread and the file fetched again from byte 0.
    expect(srv.requests.slice(1).map((r) => [r.status, r.range])).toEqual([[206, `bytes=${2 * CHUNK}-`], [200, undefined]]);
  });

  it.each([
    ['a text/html content type', { contentType: 'text/html; charset=utf-8', body: testBytes(SIZE) }],
    ['a body starting with <!DOCTYPE', { body: new TextEncoder().encode(`\n  <!DOCTYPE html><html><body>${'x'.repeat(500)}</body></html>`) }],
    ['a body starting with <html', { body: new TextEncoder().encode('\ufeff<HTML><head><title>Sign in</title></head></html>') }],
  ])('refuses an HTML page served as the file (%s) and keeps nothing', async (_name, options) => {
    const srv = await serve(options);
    const store = memoryStore();
    await expect(cacheOn(store).download({ url: srv.url })).rejects.toMatchObject({ name: 'CacheError', message: expect.stringMatching(/web page \(HTML\).*Nothing was cached/) });
    expect(await store.keys()).toEqual([]);
  });

  it('refuses a file whose SHA-256 differs and keeps nothing valid', async () => {
    const body = testBytes(SIZE, 10);
    const srv = await serve({ body });
    const store = memoryStore();
    const cache = cacheOn(store);
    const wrong = sha256(testBytes(SIZE, 11));
    await expect(cache.download({ url: srv.url, sha256: wrong })).rejects.toMatchObject({
      name: 'CacheError', message: expect.stringContaining(`got ${sha256(body)}, expected ${wrong}`),
    });
    expect(await store.keys()).toEqual([]);
    expect((await cache.status(srv.url)).state).toBe('absent');
    await expect(cache.open(srv.url)).rejects.toThrow(/not in the cache/);
  });

  it('refuses a file whose size differs from the manifest', async () => {
    const srv = await serve({ body: testBytes(SIZE) });
    const store = memoryStore();
    await expect(cacheOn(store).download({ url: srv.url, size: SIZE + 1 })).rejects.toThrow(`${SIZE} bytes but the manifest says ${SIZE + 1}`);
    expect(await store.keys()).toEqual([]);
  });

  it('stops at a full quota with the figures, keeps the stored part and resumes it once room is made', async () => {
    const body = testBytes(SIZE, 21);
    const srv = await serve({ body, etag: '"q"' });
    const store = memoryStore({ quotaBytes: 320_000 });
    await store.set('another model', new Uint8Array(100_000));
    const storage = { estimate: () => Promise.resolve({ usage: store.usedBytes(), quota: 320_000 }) };
    const cache = cacheOn(store, { storage: { estimate: () => Promise.resolve({ usage: 0, quota: 10_000_000 }) } });
    const err = await cache.download({ url: srv.url, sha256: sha256(body) }).catch((e: unknown) => e);
    // 3 chunks (196,608 bytes) fit beside the other 100 kB; the 4th does not.
    expect(err).toBeInstanceOf(QuotaError);
    expect(err).toMatchObject({
      name: 'CacheError',
      message: expect.stringMatching(/^not enough storage to cache model\.bin: it needs 103 kB more, and the browser lets this site store 10\.0 MB more \(quota 10\.0 MB, 0 bytes used\), yet it refused to store more\. The 197 kB stored so far are kept: make room, then press Resume.*delete cached models.*persistent storage/),
    });
    expect(await cache.status(srv.url)).toMatchObject({ state: 'partial', bytesDone: 3 * CHUNK });
    expect(await store.keys()).toContain('another model');
    // Room made (the other model deleted): Resume carries on from byte 196,608.
    await store.del('another model');
    const file = await cacheOn(store, { storage }).download({ url: srv.url, sha256: sha256(body) });
    expect(file.sha256).toBe(sha256(body));
    expect(srv.requests.map((r) => r.range)).toEqual([undefined, `bytes=${3 * CHUNK}-`]);
    expectSameBytes(await readAll(cache, srv.url), body);
  });

  it('refuses up front when the estimate says the file cannot fit, storing nothing', async () => {
    const srv = await serve({ body: testBytes(SIZE) });
    const store = memoryStore();
    const storage = { estimate: () => Promise.resolve({ usage: 140_000, quota: 150_000 }) };
    const early = await cacheOn(store, { storage }).download({ url: srv.url }).catch((e: unknown) => e);
    expect(early).not.toBeInstanceOf(QuotaError);
    expect(early).toMatchObject({ name: 'CacheError', message: expect.stringMatching(/it needs 300 kB more, and the browser lets this site store 10\.0 kB more \(quota 150 kB, 140 kB used\)\. Nothing of it was kept\./) });
    expect(await store.keys()).toEqual([]);
  });

  it('keeps nothing of a dropped file that hits the quota (the user still has the file)', async () => {
    const store = memoryStore({ quotaBytes: 150_000 });
    const err = await cacheOn(store).importFile({ url: 'https://example.org/model.bin' }, memorySource(testBytes(SIZE))).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(QuotaError);
    expect(err).toMatchObject({ name: 'CacheError', message: expect.stringMatching(/not enough storage to cache model\.bin: it needs 300 kB more.*Nothing of it was kept/) });
    expect(await store.keys()).toEqual([]);
  });

  it('cancels through an AbortSignal, keeping the stored part for resuming', async () => {
    const body = testBytes(SIZE, 12);
    const srv = await serve({ body, delayMs: 15 });
    const store = memoryStore();
    const controller = new AbortController();
    const onProgress = (p: DownloadProgress) => p.bytesDone >= 2 * CHUNK && controller.abort();
    await expect(cacheOn(store).download({ url: srv.url }, { signal: controller.signal, onProgress })).rejects.toMatchObject({ name: 'AbortError' });
    const partial = await cacheOn(store).status(srv.url);
    expect(partial.state).toBe('partial');
    expect(partial.bytesDone).toBeGreaterThanOrEqual(2 * CHUNK);
    srv.configure({ delayMs: 0 });
    expect((await cacheOn(store).download({ url: srv.url, sha256: sha256(body) })).size).toBe(SIZE);
    expect(srv.requests[1]?.range).toBe(`bytes=${partial.bytesDone}-`);
  });

  it('shares one transfer between concurrent requests for the same URL', async () => {
    const body = testBytes(SIZE, 13);
    const srv = await serve({ body, delayMs: 5 });
    const cache = cacheOn(memoryStore());
    const seen: number[] = [];
    const [a, b] = await Promise.all([cache.download({ url: srv.url }), cache.download({ url: srv.url }, { onProgress: (p) => seen.push(p.bytesDone) })]);
    expect(a).toEqual(b);
    expect(srv.requests).toHaveLength(1);
    expect(seen.at(-1)).toBe(SIZE);
  });

  it('keeps a shared transfer going while one caller cancels, and stops it when all have', async () => {
    const srv = await serve({ body: testBytes(SIZE, 14), delayMs: 10 });
    const cache = cacheOn(memoryStore());
    const quitter = new AbortController();
    const first = cache.download({ url: srv.url }, { signal: quitter.signal });
    const second = cache.download({ url: srv.url });
    quitter.abort();
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
    expect((await second).size).toBe(SIZE);
    expect(srv.requests).toHaveLength(1);

    const other = cacheOn(memoryStore());
    const both = [new AbortController(), new AbortController()];
    const runs = both.map((c) => other.download({ url: srv.url }, { signal: c.signal }));
    await new Promise((r) => setTimeout(r, 30));
    both.forEach((c) => c.abort());
    await Promise.all(runs.map((r) => expect(r).rejects.toMatchObject({ name: 'AbortError' })));
    await new Promise((r) => setTimeout(r, 50));
    expect(srv.requests[1]!.bytesSent).toBeLessThan(SIZE);
    expect((await other.status(srv.url)).state).toBe('partial');
  });

  it('says a URL that cannot be fetched can be dropped instead', async () => {
    const srv = await serve({ body: testBytes(10) });
    const url = srv.url;
    await srv.close();
    server = undefined;
    await expect(cacheOn(memoryStore()).download({ url })).rejects.toMatchObject({
      name: 'CacheError', message: expect.stringMatching(/cannot be fetched from the browser.*CORS.*offline.*drop it on the page/),
    });
  });

  it('reports an HTTP error status', async () => {
    const srv = await serve({ body: testBytes(10), status: 404 });
    await expect(cacheOn(memoryStore()).download({ url: srv.url })).rejects.toThrow(/answered HTTP 404 Not Found/);
  });

  it('reports speed and ETA while downloading', async () => {
    const srv = await serve({ body: testBytes(SIZE, 15), delayMs: 10 });
    const events: DownloadProgress[] = [];
    await cacheOn(memoryStore(), { progressIntervalMs: 0 }).download({ url: srv.url }, { onProgress: (p) => events.push(p) });
    const downloading = events.filter((e) => e.phase === 'downloading');
    expect(downloading.length).toBeGreaterThan(5);
    for (let i = 1; i < downloading.length; i++) expect(downloading[i]!.bytesDone).toBeGreaterThanOrEqual(downloading[i - 1]!.bytesDone);
    const late = downloading.at(-2)!;
    expect(late.bytesPerSecond).toBeGreaterThan(0);
    expect(late.etaSeconds).toBeCloseTo((SIZE - late.bytesDone) / late.bytesPerSecond, 6);
    expect(late.fraction).toBeCloseTo(late.bytesDone / SIZE, 12);
  });
});

describe('download across origins', () => {
  it('resumes with Range alone when a request carrying If-Range is refused (failed CORS preflight)', async () => {
    const body = testBytes(SIZE, 16);
    const srv = await serve({ body, cutAfter: 150_000, cuts: 1 });
    const store = memoryStore();
    await expect(cacheOn(store, { maxAttempts: 1 }).download({ url: srv.url })).rejects.toThrow(/dropped/);
    const refusing = (url: string, init: { headers: Record<string, string> }) =>
      'If-Range' in init.headers ? Promise.reject(new TypeError('Failed to fetch')) : fetch(url, init);
    const file = await cacheOn(store, { fetch: refusing }).download({ url: srv.url, sha256: sha256(body) });
    expect(file.sha256).toBe(sha256(body));
    expect(srv.requests[1]).toMatchObject({ range: `bytes=${2 * CHUNK}-`, ifRange: undefined, status: 206 });
    expect(srv.bytesServed()).toBe(150_000 + SIZE - 2 * CHUNK);
  });
});
