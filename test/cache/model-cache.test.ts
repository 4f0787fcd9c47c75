import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createModelCache, getGraph, memoryStore, putGraph, type DownloadProgress, type ModelEntry } from '../../src/cache';
import { memorySource } from '../../src/checkpoint';
import { expectSameBytes } from './helpers/bytes';
import { memoryLocks } from './helpers/locks';
import { startServer, testBytes, type TestServer } from './helpers/server';

const CHUNK = 64 * 1024;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(body: Uint8Array, delayMs = 0): Promise<TestServer> {
  const server = await startServer({ body, delayMs });
  servers.push(server);
  return server;
}

describe('deleting', () => {
  it('deletes one file with all its records and converted graphs, leaving the others', async () => {
    const [a, b] = [testBytes(200_000, 31), testBytes(150_000, 32)];
    const [sa, sb] = [await serve(a), await serve(b)];
    const store = memoryStore();
    const cache = createModelCache({ store, chunkBytes: CHUNK });
    const fileA = await cache.download({ url: sa.url });
    await cache.download({ url: sb.url });
    await putGraph(store, { source: { url: sa.url, size: fileA.size, sha256: fileA.sha256 }, converterOptions: { dtype: 'float16' } }, { modelJson: {}, files: [{ name: 'a.onnx', bytes: testBytes(10) }] });
    await store.set('unrelated', { kept: true });
    const before = (await store.keys()).length;

    await cache.deleteFile(sa.url);
    expect((await cache.status(sa.url)).state).toBe('absent');
    expect((await cache.status(sb.url)).state).toBe('verified');
    expect(await getGraph(store, { source: { url: sa.url, size: fileA.size, sha256: fileA.sha256 }, converterOptions: { dtype: 'float16' } })).toBeUndefined();
    // a: 4 chunks + meta; its graph: 1 chunk + entry.
    expect((await store.keys()).length).toBe(before - 5 - 2);
    expectSameBytes(await (await cache.open(sb.url)).read(0, b.length), b);

    await cache.deleteAll();
    expect(await store.keys()).toEqual(['unrelated']);
    expect(await cache.list()).toEqual([]);
  });

  it('deletes every file of a model', async () => {
    const [weights, config] = [await serve(testBytes(100_000, 33)), await serve(new TextEncoder().encode('model_config:\n  image_size: 256\n'))];
    const model: ModelEntry = {
      id: 'm', kind: 'diffusion', label: 'M', format: 'checkpoint',
      files: [{ name: 'm.pt', role: 'weights', url: weights.url }, { name: 'm.yaml', role: 'config', url: `${config.url}?yaml` }],
    };
    const store = memoryStore();
    const cache = createModelCache({ store, chunkBytes: CHUNK });
    expect(await cache.modelStatus(model)).toMatchObject({ id: 'm', state: 'absent', bytesDone: 0, totalBytes: undefined });
    await cache.download(model.files[0]!);
    expect(await cache.modelStatus(model)).toMatchObject({ state: 'partial', bytesDone: 100_000, totalBytes: undefined });
    await cache.download(model.files[1]!);
    expect(await cache.modelStatus(model)).toMatchObject({ state: 'verified', bytesDone: 100_032, totalBytes: 100_032 });
    expect((await cache.list()).map((f) => f.state)).toEqual(['verified', 'verified']);
    await cache.deleteModel(model);
    expect(await store.keys()).toEqual([]);
  });

  it('stops a download in progress when its file is deleted', async () => {
    const server = await serve(testBytes(300_000, 34), 10);
    const store = memoryStore();
    const cache = createModelCache({ store, chunkBytes: CHUNK });
    const running = cache.download({ url: server.url });
    await new Promise((r) => setTimeout(r, 40));
    await cache.deleteFile(server.url);
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    expect(await store.keys()).toEqual([]);
    expect(server.requests[0]!.bytesSent).toBeLessThan(300_000);
  });
});

describe('importing a dropped file', () => {
  const url = 'https://blocked.example/ViT-B-16.pt';

  it('stores it under the manifest URL, verified like a download', async () => {
    const bytes = testBytes(250_000, 35);
    const cache = createModelCache({ store: memoryStore(), chunkBytes: CHUNK, fetch: () => Promise.reject(new TypeError('Failed to fetch')) });
    await expect(cache.download({ url })).rejects.toThrow(/cannot be fetched from the browser/);
    const file = await cache.importFile({ url, sha256: sha256(bytes) }, memorySource(bytes));
    expect(file).toEqual({ url, size: bytes.length, sha256: sha256(bytes) });
    expectSameBytes(await (await cache.open(url)).read(0, bytes.length), bytes);
    // Now cached: a download call finds it and does not fetch.
    expect(await cache.download({ url, sha256: sha256(bytes) })).toEqual(file);
  });

  it('refuses a dropped file with the wrong digest or an HTML page, keeping nothing', async () => {
    const store = memoryStore();
    const cache = createModelCache({ store, chunkBytes: CHUNK });
    const bytes = testBytes(100_000, 36);
    await expect(cache.importFile({ url, sha256: sha256(testBytes(10)) }, memorySource(bytes))).rejects.toThrow(/does not match its SHA-256/);
    const page = new TextEncoder().encode(`<!doctype html><title>Download</title>${' '.repeat(100)}`);
    await expect(cache.importFile({ url }, memorySource(page))).rejects.toThrow(/web page \(HTML\)/);
    expect(await store.keys()).toEqual([]);
  });
});

describe('two tabs sharing the store (Web Locks)', () => {
  const tabs = (store = memoryStore(), locks = memoryLocks()) => {
    const tab = () => createModelCache({ store, locks, chunkBytes: CHUNK });
    return [tab(), tab()] as const;
  };

  it('downloads a file once: the second tab says it waits for the first, then finds it verified', async () => {
    const body = testBytes(300_000, 41);
    const server = await serve(body, 10);
    const [a, b] = tabs();
    const first = a.download({ url: server.url, sha256: sha256(body) });
    await new Promise((r) => setTimeout(r, 20));
    const waits: DownloadProgress[] = [];
    const second = b.download({ url: server.url }, { onProgress: (p) => p.phase === 'waiting' && waits.push(p) });
    const [fa, fb] = await Promise.all([first, second]);
    expect(waits).toMatchObject([{ phase: 'waiting', waitingFor: 'download', url: server.url }]);
    expect(fa).toEqual(fb);
    expect(fb.sha256).toBe(sha256(body));
    expect(server.requests).toHaveLength(1);
    expectSameBytes(await (await b.open(server.url)).read(0, body.length), body);
  });

  it('makes a delete wait for a generation reading the file, which reads it whole', async () => {
    const body = testBytes(200_000, 42);
    const server = await serve(body);
    const [a, b] = tabs();
    await a.download({ url: server.url });
    const events: string[] = [];
    let deleted: Promise<unknown> | undefined;
    await a.reading([server.url], async () => {
      deleted = b.deleteFile(server.url, (_, holder) => events.push(`delete waits for ${holder}`)).then(() => events.push('deleted'));
      await new Promise((r) => setTimeout(r, 30));
      expectSameBytes(await (await a.open(server.url)).read(0, body.length), body);
      events.push('read');
    });
    await deleted;
    expect(events).toEqual(['delete waits for generation', 'read', 'deleted']);
    expect((await a.status(server.url)).state).toBe('absent');
  });

  it('makes a generation wait for a download in another tab', async () => {
    const body = testBytes(200_000, 43);
    const server = await serve(body, 10);
    const [a, b] = tabs();
    const downloading = a.download({ url: server.url });
    await new Promise((r) => setTimeout(r, 20));
    const heard: string[] = [];
    const state = await b.reading([server.url], async () => (await b.status(server.url)).state, (_, holder) => heard.push(String(holder)));
    await downloading;
    expect(heard).toEqual(['download']);
    expect(state).toBe('verified');
  });
});
