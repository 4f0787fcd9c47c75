import { describe, expect, it } from 'vitest';
import type { ModelEntry } from '../../src/cache';
import { progressOf, waitingProgress } from '../../src/cache/progress';
import { progressText, sizeText } from '../../src/ui/components/ModelsPanel/format';

const url = 'https://example.org/unet_A.pt';
const named = <T extends object>(p: T) => ({ ...p, modelId: 'unet-a', fileName: 'unet_A.pt' });

describe('models panel progress text', () => {
  it('says what a waiting operation waits for', () => {
    expect(progressText(named(waitingProgress(url, 'download')))).toBe('unet_A.pt: waiting, downloading in another tab…');
    expect(progressText(named(waitingProgress(url, 'generation')))).toBe('unet_A.pt: waiting, in use by a generation…');
    expect(progressText(named(waitingProgress(url, 'delete')))).toBe('unet_A.pt: waiting, being deleted in another tab…');
    expect(progressText(named(waitingProgress(url, undefined)))).toBe('unet_A.pt: waiting, busy in another tab…');
  });

  it('shows bytes, percentage, speed and time left while downloading', () => {
    expect(progressText(named(progressOf(url, 'downloading', 1_200_000, 2_910_000, 3_200_000)))).toBe('Downloading unet_A.pt: 1.20 MB of 2.91 MB (41%), 3.20 MB/s, 1 s left');
  });

  it("sums a model's files for its summary line (a file's own size, else its first source's), counting those of unpublished size", () => {
    const model = (files: object[]) => ({ id: 'm', kind: 'diffusion', label: 'M', format: 'checkpoint', files: files.map((f, i) => ({ name: `f${i}`, role: 'weights', url: `https://x/${i}`, ...f })) }) as ModelEntry;
    expect(sizeText(model([{ sources: [{ url: 'https://a/x', size: 2_211_383_297 }, { url: 'https://b/x' }] }]))).toBe('1 file, 2.21 GB');
    expect(sizeText(model([{ size: 351_000_000 }, { size: 1_000_000 }, {}]))).toBe('3 files, 352 MB and 1 of unpublished size');
    expect(sizeText(model([{}, {}]))).toBe('2 files, size not published');
  });
});
