import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MANIFEST_FORMAT, type FetchLike, type ModelManifest } from '../../src/cache';
import { browserFetch } from '../../src/cli/browser-fetch';
import { run } from '../../src/cli/commands/models';
import { checkManifest, unfetchableFiles } from '../../src/cli/models-check';
import { testBytes } from '../cache/helpers/server';
import { startFakeHosts, type FakeHosts } from '../helpers/fake-hosts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const PAGE = 'http://studio.test';
const BODY = testBytes(5000, 3);

let hosts: FakeHosts;
beforeEach(async () => {
  hosts = await startFakeHosts();
  hosts.files.set('/a.pth', BODY);
  hosts.releases.set('v1', new Map([['a.pth', 7]]));
});
afterEach(() => hosts.close());

const manifest = (): ModelManifest => ({
  format: MANIFEST_FORMAT, version: 1, name: 'check',
  models: [
    {
      id: 'a', kind: 'swinir', label: 'A', format: 'checkpoint',
      files: [{
        name: 'a.pth', role: 'weights', url: 'https://upstream.example/a.pth',
        sources: [
          { url: `${hosts.origins.gone}/a.pth` },
          { url: `${hosts.origins.release}/o/r/releases/download/v1/a.pth` },
          { url: `${hosts.origins.release}/o/r/releases/download/v1/a.pth`, github: { repo: 'o/r', tag: 'v1', asset: 'a.pth' }, size: BODY.length },
          { url: `${hosts.origins.hf}/a.pth`, size: BODY.length + 1, sha256: sha256(BODY) },
          { url: `${hosts.origins.hf}/a.pth`, size: BODY.length, sha256: sha256(BODY) },
        ],
      }],
    },
    { id: 'b', kind: 'swinir', label: 'B', format: 'checkpoint', files: [{ name: 'b.pth', role: 'weights', url: `${hosts.origins.gone}/b.pth` }] },
  ],
});

const plainFetch: FetchLike = (url, init) => fetch(url, { headers: init.headers });

describe('models check', () => {
  it('probes every source as a page would: status, CORS, size, hash and what is wrong', async () => {
    const rows = await checkManifest({ pageFetch: browserFetch(PAGE), plainFetch, githubApi: hosts.origins.api }, manifest());
    expect(rows.map(({ status, cors, size, hash, problem }) => ({ status, cors, size, hash, problem }))).toEqual([
      { status: 404, cors: true, size: 'unknown', hash: 'unknown', problem: 'not found (HTTP 404)' },
      { status: 206, cors: false, size: 'unknown', hash: 'unknown', problem: expect.stringMatching(/^a page may not fetch it: no answer \(Failed to fetch \(127\.0\.0\.1:\d+ sends no Access-Control-Allow-Origin/) },
      { status: 206, cors: true, size: 'ok', hash: 'unknown', problem: '' },
      { status: 206, cors: true, size: 'wrong', hash: 'ok', problem: `wrong size (the host says ${BODY.length} bytes, expected ${BODY.length + 1})` },
      { status: 206, cors: true, size: 'ok', hash: 'ok', problem: '' },
      { status: 404, cors: true, size: 'unknown', hash: 'unknown', problem: 'not found (HTTP 404)' },
    ]);
    expect(unfetchableFiles(rows)).toEqual(['b/b.pth']);
  });

  it('prints the table and exits 1 while a file has no source a page can fetch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'models-check-'));
    const path = join(dir, 'manifest.json');
    writeFileSync(path, JSON.stringify(manifest()));
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
    const err = vi.spyOn(console, 'error').mockImplementation((line: string) => void out.push(line));
    try {
      expect(await run(['check', '--manifest', path, '--origin', PAGE, '--github-api', hosts.origins.api])).toBe(1);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
    expect(out[0]).toMatch(/^model +file +source +status +CORS +size +hash +verdict$/);
    expect(out).toHaveLength(8);
    expect(out.at(-1)).toBe('1 of 2 files have a source a page can fetch; none for: b/b.pth');
    expect(await run(['list'])).toBe(2);
  });
});
