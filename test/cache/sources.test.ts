import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createModelCache, memoryStore, type DownloadProgress, type FileSource, type KeyValueStore } from '../../src/cache';
import { memorySource } from '../../src/checkpoint';
import { browserFetch } from '../../src/cli/browser-fetch';
import { startFakeHosts, type FakeHosts } from '../helpers/fake-hosts';
import { testBytes } from './helpers/server';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const PAGE = 'http://studio.test';
const NAME = 'weights.pth';
const BODY = testBytes(200_000, 7);
const OTHER = testBytes(200_000, 8);
const FILE_URL = 'https://upstream.example/models/weights.pth';

let hosts: FakeHosts;
beforeEach(async () => {
  hosts = await startFakeHosts();
  hosts.files.set(`/${NAME}`, BODY);
  hosts.files.set('/other.pth', OTHER);
  hosts.releases.set('v1', new Map([[NAME, 4242]]));
});
afterEach(() => hosts.close());

const cacheOn = (store: KeyValueStore) => createModelCache({ store, chunkBytes: 64 * 1024, fetch: browserFetch(PAGE), githubApi: hosts.origins.api });
const github: FileSource['github'] = { repo: 'owner/repo', tag: 'v1', asset: NAME };
const src = {
  gone: (): FileSource => ({ url: `${hosts.origins.gone}/${NAME}` }),
  release: (): FileSource => ({ url: `${hosts.origins.release}/owner/repo/releases/download/v1/${NAME}` }),
  api: (sha = sha256(BODY)): FileSource => ({ url: `${hosts.origins.release}/owner/repo/releases/download/v1/${NAME}`, github, sha256: sha }),
  hf: (path = NAME, sha = sha256(BODY)): FileSource => ({ url: `${hosts.origins.hf}/${path}`, container: 'torch', size: BODY.length, sha256: sha }),
};

/** The error a promise must reject with. */
async function failure(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(() => undefined, (e: unknown) => e);
  if (!(outcome instanceof Error)) throw new Error('expected the download to fail');
  return outcome;
}

async function readAll(store: KeyValueStore): Promise<Uint8Array> {
  const source = await cacheOn(store).open(FILE_URL);
  return source.read(0, source.size);
}

describe('downloading a file from its sources', () => {
  it('passes over a 404, a host without CORS and a wrong file, takes the next good source, and says which and why', async () => {
    const store = memoryStore();
    const events: DownloadProgress[] = [];
    const sources = [src.gone(), src.release(), src.hf('other.pth'), src.hf()];
    const file = await cacheOn(store).download({ url: FILE_URL, name: NAME, sources }, { onProgress: (p) => events.push(p) });
    expect(file).toEqual({ url: FILE_URL, size: BODY.length, sha256: sha256(BODY) });
    expect(Buffer.compare(await readAll(store), BODY)).toBe(0);
    const last = events.at(-1)!;
    expect(last.source).toBe(sources[3]!.url);
    expect(last.skipped!.map((s) => s.reason)).toEqual([
      'not found (HTTP 404)',
      expect.stringMatching(/^no answer: the host does not let this page fetch it \(CORS\).*sends no Access-Control-Allow-Origin/),
      `wrong hash (the host states SHA-256 ${sha256(OTHER)}, expected ${sha256(BODY)})`,
    ]);
    // One byte asked of each source before any body: the file itself was fetched once, from the good one.
    expect(hosts.requests.filter((r) => r.startsWith('hf '))).toHaveLength(3);
  });

  it("fetches a GitHub release asset through the API, and keeps the asset's id so the API is asked once", async () => {
    const store = memoryStore();
    await cacheOn(store).download({ url: FILE_URL, name: NAME, sources: [src.gone(), src.api()] });
    expect(Buffer.compare(await readAll(store), BODY)).toBe(0);
    expect(hosts.requests.filter((r) => r.startsWith('api ')).map((r) => r.replace(/\?.*/, ''))).toEqual([
      'api GET /repos/owner/repo/releases/tags/v1', 'api GET /repos/owner/repo/releases/assets/4242', 'api GET /repos/owner/repo/releases/assets/4242',
    ]);
    await cacheOn(store).deleteFile(FILE_URL);
    await cacheOn(store).download({ url: FILE_URL, name: NAME, sources: [src.gone(), src.api()] });
    expect(hosts.requests.filter((r) => r.includes('/releases/tags/'))).toHaveLength(1);
  });

  it("says when GitHub's API rate limit is spent, with the time it resets, and falls through", async () => {
    hosts.rateLimited = true;
    const events: DownloadProgress[] = [];
    await cacheOn(memoryStore()).download({ url: FILE_URL, name: NAME, sources: [src.api(), src.hf()] }, { onProgress: (p) => events.push(p) });
    expect(events.at(-1)!.skipped).toEqual([{ url: src.api().url, reason: "GitHub's API limit (60 requests an hour without sign-in) is used up until 00:00 UTC" }]);
  });

  it('refuses a wrong hash found only after the download, naming the file and both hashes, and keeps nothing', async () => {
    const store = memoryStore();
    const wrong = 'ab'.repeat(32);
    const err = await failure(cacheOn(store).download({ url: FILE_URL, name: NAME, sources: [src.gone(), src.api(wrong)] }));
    expect(err.message).toContain(`${NAME} cannot be fetched from the browser from any of its 2 sources`);
    expect(err.message).toContain(`${NAME} does not match its SHA-256 (got ${sha256(BODY)}, expected ${wrong})`);
    expect(await store.keys()).toEqual([expect.stringMatching(/^github-asset\//)]);
  });

  it('when no source works, lists every source with its reason and points to the upstream page', async () => {
    const err = await failure(cacheOn(memoryStore()).download({ url: FILE_URL, name: NAME, page: 'https://github.com/owner/repo', sources: [src.gone(), src.release()] }));
    expect(err.message.split('\n')).toEqual([
      `${NAME} cannot be fetched from the browser from any of its 2 sources:`,
      `  - ${src.gone().url}: not found (HTTP 404)`,
      expect.stringMatching(new RegExp(`^  - ${src.release().url.replace(/[.?]/g, '\\$&')}: no answer: the host does not let this page fetch it \\(CORS\\)`)),
      'Download it yourself from https://github.com/owner/repo and drop it on the page (or choose it with the file picker).',
    ]);
  });

  it('finds a verified file cached from a mirror without asking any host', async () => {
    const store = memoryStore();
    await cacheOn(store).download({ url: FILE_URL, name: NAME, sources: [src.gone(), src.hf()] });
    const before = hosts.requests.length;
    await cacheOn(store).download({ url: FILE_URL, name: NAME, sources: [src.gone(), src.hf()] });
    expect(hosts.requests.length).toBe(before);
  });

  it('takes a dropped file that is one of the sources’ files, and refuses one that is none of them', async () => {
    const store = memoryStore();
    const target = { url: FILE_URL, name: NAME, sources: [src.api(), src.hf('other.pth', sha256(OTHER))] };
    expect((await cacheOn(store).importFile(target, memorySource(OTHER))).sha256).toBe(sha256(OTHER));
    const stranger = testBytes(1000, 9);
    await expect(cacheOn(store).importFile(target, memorySource(stranger))).rejects.toThrow(
      new RegExp(`${NAME} \\(1000 bytes, SHA-256 ${sha256(stranger)}\\) is none of the files its sources hold`),
    );
    expect((await cacheOn(store).status(FILE_URL)).state).toBe('absent');
  });
});
