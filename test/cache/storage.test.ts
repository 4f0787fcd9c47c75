import { describe, expect, it } from 'vitest';
import { formatBytes, isQuotaError, memoryStore, requestPersistence, storageStatus } from '../../src/cache';
import { createRateMeter, progressOf } from '../../src/cache/progress';

describe('storage estimate and persistence', () => {
  it('reports usage, quota and what is free', async () => {
    const storage = { estimate: () => Promise.resolve({ usage: 1_500_000_000, quota: 4_000_000_000 }), persisted: () => Promise.resolve(false) };
    expect(await storageStatus(storage)).toEqual({ usage: 1_500_000_000, quota: 4_000_000_000, free: 2_500_000_000, persisted: false });
  });

  it('says nothing it does not know (no storage manager, or a failing estimate)', async () => {
    const unknown = { usage: undefined, quota: undefined, free: undefined, persisted: undefined };
    expect(await storageStatus(undefined)).toEqual(unknown);
    expect(await storageStatus({ estimate: () => Promise.reject(new Error('private window')) })).toEqual(unknown);
  });

  it('asks for persistence once, and explains a refusal', async () => {
    let asked = 0;
    const grant = (granted: boolean) => ({ estimate: () => Promise.resolve({}), persisted: () => Promise.resolve(false), persist: () => (asked++, Promise.resolve(granted)) });
    expect(await requestPersistence(grant(true))).toEqual({ granted: true, reason: undefined });
    expect(await requestPersistence(grant(false))).toEqual({ granted: false, reason: expect.stringMatching(/declined.*may be removed/) });
    expect(await requestPersistence({ estimate: () => Promise.resolve({}), persisted: () => Promise.resolve(true), persist: () => (asked++, Promise.resolve(true)) })).toEqual({ granted: true, reason: undefined });
    expect(asked).toBe(2);
    expect((await requestPersistence(undefined)).reason).toMatch(/cannot make storage persistent/);
  });

  it('formats sizes in decimal units', () => {
    expect([0, 999, 1000, 12_345, 351_000_000, 2_211_000_000].map(formatBytes)).toEqual(['0 bytes', '999 bytes', '1.00 kB', '12.3 kB', '351 MB', '2.21 GB']);
  });
});

describe('progress', () => {
  it('measures speed over a trailing window and derives the ETA', () => {
    const meter = createRateMeter(3000);
    meter.add(0, 0);
    expect(meter.rate()).toBe(0);
    meter.add(1000, 2_000_000);
    expect(meter.rate()).toBe(2_000_000);
    // A stall: the window forgets the fast start within 3 s.
    meter.add(2000, 2_000_000);
    meter.add(5000, 2_100_000);
    expect(meter.rate()).toBeCloseTo(100_000 / 3, 9);
    expect(progressOf('u', 'downloading', 2_100_000, 3_100_000, 100_000)).toEqual({
      url: 'u', phase: 'downloading', bytesDone: 2_100_000, totalBytes: 3_100_000, fraction: 2_100_000 / 3_100_000, bytesPerSecond: 100_000, etaSeconds: 10,
    });
    expect(progressOf('u', 'downloading', 5, undefined, 100)).toMatchObject({ fraction: undefined, etaSeconds: undefined });
  });
});

describe('memoryStore', () => {
  it('keeps copies, counts bytes and refuses writes past its quota as IndexedDB does', async () => {
    const store = memoryStore({ quotaBytes: 100 });
    const chunk = new Uint8Array([1, 2, 3]);
    await store.set('c', chunk);
    chunk[0] = 9;
    expect(await store.get('c')).toEqual(new Uint8Array([1, 2, 3]));
    expect(store.usedBytes()).toBe(3);
    await expect(store.set('big', new Uint8Array(98))).rejects.toMatchObject({ name: 'QuotaExceededError' });
    await store.set('c', new Uint8Array(100)); // replacing frees the old bytes first
    await store.del('c');
    expect(store.usedBytes()).toBe(0);
    expect(await store.keys()).toEqual([]);
  });
});

describe('isQuotaError', () => {
  class QuotaExceededError extends DOMException {
    constructor() {
      super('', 'QuotaExceededError');
    }
  }
  const named = (name: string, message = '') => Object.assign(new Error(message), { name });

  it('recognises the shapes browsers reject IndexedDB writes with', () => {
    // Chromium 156: the aborted transaction's error, a QuotaExceededError subclass with an empty message (e2e storage.test.ts).
    expect(isQuotaError(new QuotaExceededError())).toBe(true);
    expect(isQuotaError(new DOMException('The quota has been exceeded.', 'QuotaExceededError'))).toBe(true);
    expect(isQuotaError(named('NS_ERROR_DOM_QUOTA_REACHED'))).toBe(true);
    expect(isQuotaError({ name: 'Error', code: 22 })).toBe(true);
    expect(isQuotaError(named('AbortError', 'Transaction aborted: quota exceeded'))).toBe(true);
    expect(isQuotaError(named('UnknownError', 'Failed to write blobs (quota)'))).toBe(true);
    expect(isQuotaError(new Error('idb-keyval set failed', { cause: new QuotaExceededError() }))).toBe(true);
  });

  it('does not take other failures for a full quota', () => {
    expect(isQuotaError(named('AbortError', 'download cancelled'))).toBe(false);
    expect(isQuotaError(new DOMException('Version change transaction was aborted', 'AbortError'))).toBe(false);
    expect(isQuotaError(new TypeError('quota'))).toBe(false);
    expect(isQuotaError(null)).toBe(false);
    expect(isQuotaError('QuotaExceededError')).toBe(false);
    expect(isQuotaError(new Error('wrapper', { cause: new Error('no') }))).toBe(false);
  });
});
