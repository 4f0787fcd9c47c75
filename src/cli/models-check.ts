import { memoryStore, sourcesOf, type FetchLike, type FileSource, type ModelManifest } from '../cache/index';
import { SourceSkipped } from '../cache/github';
import { sourceRequest } from '../cache/sources';
import { probeSource, probeVerdict, type ProbeAnswer } from '../cache/probe';

/** One source of one manifest file, as a page would find it. */
export interface SourceCheck {
  readonly model: string;
  readonly file: string;
  readonly source: string;
  /** HTTP status of the one-byte request, without CORS (undefined: no answer at all). */
  readonly status: number | undefined;
  /** Whether a page may fetch it: every hop sends CORS. */
  readonly cors: boolean;
  readonly size: 'ok' | 'wrong' | 'unknown';
  readonly hash: 'ok' | 'wrong' | 'unknown';
  /** Empty when a page can take the file from here; else why not. */
  readonly problem: string;
}

export interface CheckEnv {
  /** fetch as a page sees it (browser-fetch.ts). */
  readonly pageFetch: FetchLike;
  /** fetch without CORS, to tell "blocked" from "gone". */
  readonly plainFetch: FetchLike;
  readonly githubApi?: string;
}

const compare = (stated: number | string | undefined, expected: number | string | undefined): SourceCheck['size'] =>
  stated === undefined || expected === undefined ? 'unknown' : stated === expected ? 'ok' : 'wrong';

async function answer(env: CheckEnv, fetch: FetchLike, source: FileSource): Promise<ProbeAnswer & { expectedSize: number | undefined }> {
  const req = await sourceRequest({ fetch, store: memoryStore(), ...(env.githubApi ? { githubApi: env.githubApi } : {}) }, source);
  return { ...(await probeSource(fetch, req.url, req.headers)), expectedSize: req.size };
}

const reasonOf = (err: unknown): string => (err instanceof SourceSkipped ? err.message : `no answer (${(err as Error).message})`);

/** Probes one source twice: as a page (CORS enforced) and plainly (what the host answers at all). */
export async function checkSource(env: CheckEnv, model: string, file: string, source: FileSource): Promise<SourceCheck> {
  const row = { model, file, source: source.url };
  const plain = await answer(env, env.plainFetch, source).catch((err: unknown) => err as Error);
  const page = await answer(env, env.pageFetch, source).catch((err: unknown) => err as Error);
  const seen = page instanceof Error ? plain : page;
  if (seen instanceof Error) return { ...row, status: undefined, cors: false, size: 'unknown', hash: 'unknown', problem: reasonOf(seen) };
  const expected = { size: seen.expectedSize, sha256: source.sha256 };
  const verdict = probeVerdict(seen, expected);
  const blocked = page instanceof Error ? `a page may not fetch it: ${reasonOf(page)}` : undefined;
  return {
    ...row, status: seen.status, cors: !(page instanceof Error),
    size: compare(seen.size, expected.size), hash: compare(seen.sha256, expected.sha256),
    problem: [verdict, blocked].filter((p) => p !== undefined).join('; '),
  };
}

/** Every source of every file, in manifest order. */
export async function checkManifest(env: CheckEnv, manifest: ModelManifest): Promise<SourceCheck[]> {
  const rows: SourceCheck[] = [];
  for (const model of manifest.models) {
    for (const file of model.files) {
      for (const source of sourcesOf(file)) rows.push(await checkSource(env, model.id, file.name, source));
    }
  }
  return rows;
}

/** Files (model, name) with no source a page can fetch. */
export const unfetchableFiles = (rows: readonly SourceCheck[]): string[] =>
  [...new Set(rows.map((r) => `${r.model}/${r.file}`))].filter((key) => !rows.some((r) => `${r.model}/${r.file}` === key && r.problem === ''));
