import { readFile } from 'node:fs/promises';
import { BUILTIN_MANIFEST, validateManifest, type FetchLike, type ModelManifest } from '../../cache/index';
import { browserFetch } from '../browser-fetch';
import { checkManifest, unfetchableFiles, type SourceCheck } from '../models-check';

export const summary = "probe every source of the model manifest as a page would (status, CORS, size, hash): for the manifest's maintainers";
export const usage = 'npm run cli -- models check [--manifest FILE.json] [--origin URL] [--github-api URL] [--json]';

const DEFAULT_ORIGIN = 'https://clip-diffusion-web.example';

function option(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function manifestOf(path: string | undefined): Promise<ModelManifest> {
  return path === undefined ? BUILTIN_MANIFEST : validateManifest(JSON.parse(await readFile(path, 'utf8')) as unknown, path);
}

const plainFetch: FetchLike = (url, init) => fetch(url, { headers: init.headers, ...(init.signal ? { signal: init.signal } : {}) });

function printTable(rows: readonly SourceCheck[]): void {
  const cells = rows.map((r) => [r.model, r.file, new URL(r.source).host, r.status === undefined ? '—' : String(r.status), r.cors ? 'yes' : 'no', r.size, r.hash, r.problem || 'ok']);
  const head = ['model', 'file', 'source', 'status', 'CORS', 'size', 'hash', 'verdict'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => Math.min(c[i]!.length, 60))));
  const line = (c: readonly string[]) => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]!))).join('  ');
  console.log(line(head));
  for (const c of cells) console.log(line(c));
}

export async function run(args: readonly string[]): Promise<number> {
  if (args[0] !== 'check') {
    console.error(`usage: ${usage}`);
    return 2;
  }
  const manifest = await manifestOf(option(args, '--manifest'));
  const githubApi = option(args, '--github-api');
  const rows = await checkManifest({ pageFetch: browserFetch(option(args, '--origin') ?? DEFAULT_ORIGIN), plainFetch, ...(githubApi ? { githubApi } : {}) }, manifest);
  const missing = unfetchableFiles(rows);
  if (args.includes('--json')) console.log(JSON.stringify({ rows, unfetchable: missing }, null, 2));
  else printTable(rows);
  const files = new Set(rows.map((r) => `${r.model}/${r.file}`)).size;
  console.error(`${files - missing.length} of ${files} files have a source a page can fetch${missing.length ? `; none for: ${missing.join(', ')}` : ''}`);
  return missing.length === 0 ? 0 : 1;
}
