import { describe, expect, it } from 'vitest';
import { BUILTIN_MANIFEST, type ModelStatus } from '../../src/cache';
import { aggregateProgress, downloadSize, seedModels } from '../../src/ui/first-run';

const status = (id: string, files: [string, number, number | undefined][]): ModelStatus => ({
  id, state: 'partial', bytesDone: 0, totalBytes: undefined, storedBytes: 0,
  files: files.map(([url, bytesDone, totalBytes]) => ({ url, state: bytesDone > 0 ? 'partial' : 'absent', bytesDone, totalBytes, storedBytes: bytesDone })),
});

describe('first run', () => {
  it("names the seed's models in the built-in manifest: the art UNet, CLIP ViT-B/16, SwinIR-M", () => {
    expect(seedModels(BUILTIN_MANIFEST).map((m) => m.id)).toEqual(['clip-diffusion-art-256', 'clip-vit-b16', 'swinir-m-x4']);
    expect(seedModels(undefined)).toEqual([]);
  });

  it('adds up the sizes the first sources publish and counts the files without one', () => {
    // ViT-B-16.pt 350,837,078, the BPE vocabulary 1,356,917 and SwinIR-M 67,129,861; the art UNet and its yaml publish none.
    expect(downloadSize(seedModels(BUILTIN_MANIFEST))).toEqual({ bytes: 350837078 + 1356917 + 67129861, unknownFiles: 2 });
  });

  it("takes each file's bytes from this session's transfers or the cache, and the speed of those running", () => {
    const [a, b] = [
      { id: 'a', kind: 'diffusion', label: 'A', format: 'checkpoint', files: [{ name: 'a.pt', role: 'weights', url: 'u/a', size: 600 }, { name: 'a.yaml', role: 'config', url: 'u/ay' }] },
      { id: 'b', kind: 'clip', label: 'B', format: 'checkpoint', files: [{ name: 'b.pt', role: 'weights', url: 'u/b', size: 400 }] },
    ] as const;
    const statuses = { a: status('a', [['u/a', 100, 600], ['u/ay', 0, 50]]), b: status('b', [['u/b', 0, undefined]]) };
    const agg = aggregateProgress([a, b], statuses, { 'u/a': 600, 'u/ay': 50, 'u/b': 150 }, [100, 0]);
    expect(agg).toEqual({ bytesDone: 800, totalBytes: 1050, fraction: 800 / 1050, bytesPerSecond: 100, etaSeconds: 2.5 });
    // Without a size from the server or the manifest there is no total, so no fraction or time left.
    const unknown = aggregateProgress([a], { a: status('a', [['u/a', 100, 600], ['u/ay', 0, undefined]]) }, {}, [50]);
    expect(unknown).toEqual({ bytesDone: 100, totalBytes: undefined, fraction: undefined, bytesPerSecond: 50, etaSeconds: undefined });
  });
});
