import { describe, expect, it } from 'vitest';
import { BUILTIN_MANIFEST, type ModelStatus } from '../../src/cache';
import { offlineMessage, usableOffline } from '../../src/ui/offline';

const status = (id: string, state: ModelStatus['state']): ModelStatus => ({ id, state, bytesDone: 0, totalBytes: undefined, storedBytes: 0, files: [] });

describe('what the offline banner offers', () => {
  it('lists only the models whose every file is verified, by label', () => {
    const [a, b, c] = BUILTIN_MANIFEST.models;
    const statuses = { [a!.id]: status(a!.id, 'verified'), [b!.id]: status(b!.id, 'partial'), [c!.id]: status(c!.id, 'verified') };
    expect(usableOffline(BUILTIN_MANIFEST, statuses)).toEqual([a!.label, c!.label]);
    expect(usableOffline(undefined, statuses)).toEqual([]);
  });

  it('names the demo pack always, and the cached models when there are some', () => {
    expect(offlineMessage([])).toContain('you can generate with the demo pack (no model is cached yet).');
    expect(offlineMessage(['UNet', 'CLIP'])).toContain('you can generate with the demo pack and the cached models UNet, CLIP.');
  });
});
