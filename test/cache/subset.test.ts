import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createModelCache, memoryStore } from '../../src/cache';
import { fileKeys } from '../../src/cache/keys';
import { parseMeta } from '../../src/cache/meta';
import { memorySource, openCheckpoint, readTensorFloat32 } from '../../src/checkpoint';
import { legacyTorchFile } from '../checkpoint/helpers/legacy-writer';
import { startServer, type TestServer } from './helpers/server';

const CHUNK = 16 * 1024;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const floats = (n: number, seed: number) => new Uint8Array(Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i)).buffer);

/** A torchvision-like legacy file: two small `features.` convs and a big `classifier.` the cache must not keep. */
function vggLike(): Uint8Array {
  const storages = [
    { key: '0', cls: 'FloatStorage', bytes: floats(4 * 3 * 9, 1) },
    { key: '1', cls: 'FloatStorage', bytes: floats(4, 2) },
    { key: '2', cls: 'FloatStorage', bytes: floats(20_000, 3) },
    { key: '3', cls: 'FloatStorage', bytes: floats(8 * 4 * 9, 4) },
  ];
  return legacyTorchFile({
    storages,
    tensors: [
      { name: 'features.0.weight', storage: '0', shape: [4, 3, 3, 3] },
      { name: 'features.0.bias', storage: '1', shape: [4] },
      { name: 'classifier.0.weight', storage: '2', shape: [40, 500] },
      { name: 'features.2.weight', storage: '3', shape: [8, 4, 3, 3] },
    ],
  });
}

async function serve(body: Uint8Array): Promise<TestServer> {
  const server = await startServer({ body });
  servers.push(server);
  return server;
}

describe('a checkpoint cut to the tensors a model reads (manifest `keep`)', () => {
  it("keeps only the named tensors, bit for bit, under the whole file's size and SHA-256; the whole file's records go", async () => {
    const file = vggLike();
    const server = await serve(file);
    const store = memoryStore();
    const cache = createModelCache({ store, chunkBytes: CHUNK });
    const cached = await cache.download({ url: server.url, size: file.length, sha256: sha256(file), keep: ['features.'] });
    expect(cached).toEqual({ url: server.url, size: file.length, sha256: sha256(file) });

    const status = await cache.status(server.url);
    expect(status).toMatchObject({ state: 'verified', bytesDone: file.length, sha256: sha256(file) });
    expect(status.storedBytes).toBeLessThan(2000);
    const keys = await store.keys();
    expect(keys.filter((k) => k.startsWith(fileKeys(server.url).wholeChunks))).toEqual([]);
    expect(keys.filter((k) => k.startsWith(fileKeys(server.url).subset.prefix))).toHaveLength(1);

    const kept = await openCheckpoint(await cache.open(server.url));
    const original = await openCheckpoint(memorySource(file));
    expect(kept.format).toBe('safetensors');
    expect([...kept.tensors.keys()]).toEqual(['features.0.weight', 'features.0.bias', 'features.2.weight']);
    for (const [name, t] of kept.tensors) {
      expect(t.shape).toEqual(original.tensors.get(name)!.shape);
      expect(await readTensorFloat32(t)).toEqual(await readTensorFloat32(original.tensors.get(name)!));
    }
    // Verified once: a second download call (a reload) finds it and fetches nothing.
    const requests = server.requests.length;
    await createModelCache({ store, chunkBytes: CHUNK }).download({ url: server.url, size: file.length, sha256: sha256(file), keep: ['features.'] });
    expect(server.requests.length).toBe(requests);
  });

  it('refuses a file that holds none of the tensors, and keeps nothing of it', async () => {
    const server = await serve(vggLike());
    const store = memoryStore();
    const cache = createModelCache({ store, chunkBytes: CHUNK });
    await expect(cache.download({ url: server.url, keep: ['lin0.'] })).rejects.toThrow(/holds no tensor named lin0\.…: it is not the checkpoint this model needs/);
    expect(await store.keys()).toEqual([]);
  });

  it('reads a stored subset record back, and refuses a subset on a partial file', () => {
    const base = { version: 1, url: 'u', from: 'u', validator: {}, totalBytes: 100, chunkBytes: 64, chunkCount: 2, bytesDone: 100, contentType: undefined, sha256: 'ab', updatedAt: 1 };
    expect(parseMeta({ ...base, state: 'verified', subset: { prefixes: ['features.'], size: 10 } }, 'u')?.subset).toEqual({ prefixes: ['features.'], size: 10 });
    expect(parseMeta({ ...base, state: 'partial', chunkCount: 1, bytesDone: 64, subset: { prefixes: ['features.'], size: 10 } }, 'u')).toBeUndefined();
    expect(parseMeta({ ...base, state: 'verified', subset: { prefixes: [3], size: 10 } }, 'u')).toBeUndefined();
  });
});
