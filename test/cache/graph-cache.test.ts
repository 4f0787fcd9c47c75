import { describe, expect, it } from 'vitest';
import { canonicalJson, deleteGraph, getGraph, memoryStore, putGraph, type GraphId } from '../../src/cache';
import { expectSameBytes } from './helpers/bytes';
import { testBytes } from './helpers/server';

const source = { url: 'https://example.test/unet.pt', size: 6_585_955, sha256: 'ab'.repeat(32) };
const graph = {
  modelJson: { kind: 'unet', inputs: ['x', 't'], externalData: 'unet.onnx_data' },
  files: [{ name: 'unet.onnx', bytes: testBytes(3_000, 41) }, { name: 'unet.onnx_data', bytes: testBytes(25_001, 42) }],
};

describe('converted-graph cache', () => {
  it('stores ONNX bytes and model.json keyed by source and options, read back exactly', async () => {
    const store = memoryStore();
    const id: GraphId = { source, converterOptions: { weights: 'float16', size: 256 } };
    await putGraph(store, id, graph, { chunkBytes: 4096 });
    // The same options in another order find the same entry.
    const cached = await getGraph(store, { source, converterOptions: { size: 256, weights: 'float16' } });
    expect(cached?.modelJson).toEqual(graph.modelJson);
    expect(cached?.files.map((f) => [f.name, f.size])).toEqual([['unet.onnx', 3_000], ['unet.onnx_data', 25_001]]);
    expectSameBytes(await cached!.readFile('unet.onnx_data'), graph.files[1]!.bytes);
    expectSameBytes(await cached!.files[1]!.source.read(4000, 9000), graph.files[1]!.bytes.subarray(4000, 13_000));
    await expect(cached!.readFile('vae.onnx')).rejects.toThrow(/has no file vae\.onnx \(it has unet\.onnx, unet\.onnx_data\)/);
  });

  it('misses for other options or another checkpoint, and forgets what was deleted', async () => {
    const store = memoryStore();
    const id: GraphId = { source, converterOptions: { weights: 'float16' } };
    await putGraph(store, id, graph);
    expect(await getGraph(store, { source, converterOptions: { weights: 'float32' } })).toBeUndefined();
    expect(await getGraph(store, { source: { ...source, sha256: 'cd'.repeat(32) }, converterOptions: { weights: 'float16' } })).toBeUndefined();
    // Without a digest the source is known by URL and size.
    const bare = { url: source.url, size: source.size };
    await putGraph(store, { source: bare, converterOptions: {} }, graph);
    expect(await getGraph(store, { source: { ...bare, size: 1 }, converterOptions: {} })).toBeUndefined();
    expect(await getGraph(store, { source: bare, converterOptions: {} })).toBeDefined();
    await deleteGraph(store, id);
    expect(await getGraph(store, id)).toBeUndefined();
    await deleteGraph(store, { source: bare, converterOptions: {} });
    expect(await store.keys()).toEqual([]);
  });

  it('keeps nothing of a graph that does not fit the quota', async () => {
    const store = memoryStore({ quotaBytes: 20_000 });
    const id: GraphId = { source, converterOptions: {} };
    await expect(putGraph(store, id, graph, { chunkBytes: 4096 })).rejects.toMatchObject({
      name: 'CacheError', message: expect.stringMatching(/not enough storage to cache the converted model: it needs 28\.0 kB more/),
    });
    expect(await store.keys()).toEqual([]);
    expect(await getGraph(store, id)).toBeUndefined();
  });

  it('refuses two files of one name', async () => {
    const twice = { modelJson: {}, files: [graph.files[0]!, graph.files[0]!] };
    await expect(putGraph(memoryStore(), { source, converterOptions: {} }, twice)).rejects.toThrow(/unet\.onnx twice/);
  });

  it('canonicalJson sorts keys at every level and drops undefined fields', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[2,{"y":2,"z":1}]},"b":1}');
  });
});
