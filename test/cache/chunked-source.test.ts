import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { chunkedSource, createModelCache, memoryStore } from '../../src/cache';
import { fileKeys } from '../../src/cache/keys';
import { openCheckpoint, readTensorBytes } from '../../src/checkpoint';
import { withFileSource } from '../../src/cli/file-source';
import { createRng } from '../../src/sampling/rng';
import { describeWithFixtures, fixturePath } from '../fixtures';
import { expectSameBytes } from './helpers/bytes';
import { startServer, testBytes, type TestServer } from './helpers/server';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Stores `body` as chunk records the way the downloader does, and returns a source over them. */
async function storedSource(body: Uint8Array, chunkBytes: number) {
  const store = memoryStore();
  const keys = fileKeys('https://example.test/file.bin');
  for (let i = 0; i * chunkBytes < body.length; i++) await store.set(keys.chunk(i), body.slice(i * chunkBytes, (i + 1) * chunkBytes));
  return { store, keys, source: chunkedSource(store, keys, { size: body.length, chunkBytes }, 'file.bin') };
}

describe('chunkedSource', () => {
  const CHUNK = 1000;
  const body = testBytes(10_500, 21);

  it('reads arbitrary ranges across chunk boundaries bit-exactly', async () => {
    const { source } = await storedSource(body, CHUNK);
    const rng = createRng(7);
    for (let n = 0; n < 300; n++) {
      const offset = Math.floor(rng.uniform() * body.length);
      const length = Math.floor(rng.uniform() * Math.min(3500, body.length - offset + 1));
      expectSameBytes(await source.read(offset, length), body.subarray(offset, offset + length), `${offset}+${length}`);
    }
  });

  it.each([
    [0, 1000], [999, 2], [1000, 1000], [999, 1002], [0, 10_500], [10_000, 500], [10_499, 1], [4321, 0],
  ])('reads %i+%i exactly (chunk edges, whole file, last short chunk, empty)', async (offset, length) => {
    const { source } = await storedSource(body, CHUNK);
    expectSameBytes(await source.read(offset, length), body.subarray(offset, offset + length));
  });

  it('refuses ranges outside the file as the other sources do', async () => {
    const { source } = await storedSource(body, CHUNK);
    await expect(source.read(10_000, 501)).rejects.toMatchObject({ name: 'CheckpointError' });
    await expect(source.read(-1, 2)).rejects.toMatchObject({ name: 'CheckpointError' });
  });

  it('says the cached copy is damaged when a chunk record is missing or short', async () => {
    const { store, keys, source } = await storedSource(body, CHUNK);
    await store.del(keys.chunk(3));
    await expect(source.read(2990, 20)).rejects.toMatchObject({ name: 'CacheError', message: expect.stringMatching(/file\.bin is damaged \(chunk 3 is missing, expected 1000 bytes\)/) });
    await store.set(keys.chunk(4), body.slice(4000, 4999));
    await expect(source.read(4500, 1)).rejects.toThrow(/chunk 4 is 999 bytes, expected 1000/);
  });
});

describeWithFixtures('a checkpoint read lazily from the cache', () => {
  it('opens swinir_M.pth downloaded from a local server and reads every tensor as from the file', async () => {
    const path = fixturePath('swinir', 'swinir_M.pth');
    const bytes = new Uint8Array(readFileSync(path));
    server = await startServer({ body: bytes });
    const cache = createModelCache({ store: memoryStore(), chunkBytes: 256 * 1024 });
    await cache.download({ url: server.url, size: bytes.length });
    const cached = await openCheckpoint(await cache.open(server.url));
    await withFileSource(path, async (file) => {
      const direct = await openCheckpoint(file);
      expect([...cached.tensors.keys()]).toEqual([...direct.tensors.keys()]);
      expect(cached.unwrapped).toEqual(['params_ema']);
      for (const [name, tensor] of direct.tensors) expectSameBytes(await readTensorBytes(cached.tensors.get(name)!), await readTensorBytes(tensor), name);
    });
  });
});
