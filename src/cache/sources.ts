import { AbortError, CacheError, isAbortError } from '../errors';
import { SourceMismatchError } from './cache-errors';
import { downloadFile, fileNameOf, fitsTarget, type DownloadEnv, type DownloadOptions, type DownloadTarget } from './download';
import { assetRequestPrefix, forgetGithubAsset, resolveGithubAsset, SourceSkipped, type AssetRequest, type GithubEnv } from './github';
import type { FileSource } from './manifest';
import { readMeta, type DownloadMeta } from './meta';
import { probeSource, probeVerdict, type ProbeAnswer } from './probe';

/** A file to cache under `url`, fetched from the first of its sources that gives the expected bytes. */
export interface SourcedFile {
  readonly url: string;
  readonly name?: string;
  readonly sources: readonly FileSource[];
  /** Upstream's page, named when no source works. */
  readonly page?: string;
  readonly keep?: readonly string[];
}

export type SourcesEnv = DownloadEnv & Pick<GithubEnv, 'githubApi'>;

/** A verified file fits when it matches what one source promises (any file, when a source promises nothing). */
export const fitsSources = (meta: DownloadMeta, sources: readonly FileSource[]): boolean => sources.some((s) => fitsTarget(meta, s));

const isFrom = (env: SourcesEnv, source: FileSource, from: string): boolean =>
  source.github ? from.startsWith(assetRequestPrefix(env.githubApi, source.github)) : from === source.url;

/** A partial download carries on from the source it came from: that one is tried first. */
function resumeFirst(env: SourcesEnv, sources: readonly FileSource[], stored: DownloadMeta | undefined): readonly FileSource[] {
  if (stored?.state !== 'partial' || stored.bytesDone === 0) return sources;
  const resumable = sources.find((s) => isFrom(env, s, stored.from));
  return resumable ? [resumable, ...sources.filter((s) => s !== resumable)] : sources;
}

/** What to fetch for one source: its URL as it is, or a GitHub asset through the API (with the size the API gives). */
export async function sourceRequest(env: GithubEnv, source: FileSource, signal?: AbortSignal): Promise<AssetRequest> {
  if (!source.github) return { url: source.url, headers: {}, size: source.size };
  const asset = await resolveGithubAsset(env, source.github, signal);
  return { ...asset, size: source.size ?? asset.size };
}

/** The download of one source's bytes, stored under the file's URL. */
async function targetFor(env: SourcesEnv, file: SourcedFile, source: FileSource, signal: AbortSignal | undefined): Promise<DownloadTarget> {
  const { url, headers, size } = await sourceRequest(env, source, signal);
  return {
    url: file.url, name: file.name ?? fileNameOf(file.url), fetchUrl: url, headers, ...(file.keep ? { keep: file.keep } : {}),
    ...(source.sha256 ? { sha256: source.sha256 } : {}), ...(size !== undefined ? { size } : {}),
  };
}

/** Asks the source for one byte; why it cannot serve the file, or undefined. */
async function probe(env: SourcesEnv, source: FileSource, target: DownloadTarget, signal: AbortSignal | undefined): Promise<string | undefined> {
  let answer: ProbeAnswer;
  try {
    answer = await probeSource(env.fetch, target.fetchUrl!, target.headers, signal);
  } catch (err) {
    if (isAbortError(err) || signal?.aborted) throw err;
    return `no answer: the host does not let this page fetch it (CORS), or the network is down (${(err as Error).message})`;
  }
  // A replaced asset gets a new id: the stored one now answers 404, so it is looked up again next time.
  if (source.github && (answer.status === 404 || answer.status === 410)) await forgetGithubAsset(env, source.github);
  return probeVerdict(answer, target);
}

export interface SkippedSource {
  readonly url: string;
  readonly reason: string;
}

/** Progress that says, when there is a choice, which source the bytes come from and which were passed over. */
const withSource = (options: DownloadOptions, file: SourcedFile, source: FileSource, skipped: readonly SkippedSource[]): DownloadOptions => {
  const { onProgress } = options;
  if (!onProgress || file.sources.length === 1) return options;
  return { ...options, onProgress: (p) => onProgress({ ...p, source: source.url, skipped: [...skipped] }) };
};

const noSourceError = (file: SourcedFile, skipped: readonly SkippedSource[]): CacheError =>
  new CacheError(
    `${file.name ?? fileNameOf(file.url)} cannot be fetched from the browser from any of its ${skipped.length} sources:\n` +
      skipped.map((s) => `  - ${s.url}: ${s.reason}`).join('\n') +
      `\nDownload it yourself${file.page ? ` from ${file.page}` : ''} and drop it on the page (or choose it with the file picker).`,
  );

/**
 * Downloads (or resumes, or finds cached) a file from the first source that answers with the
 * expected size and digest. With several sources each is first asked for one byte, and a source
 * that fails (not found, refused by CORS, wrong size, wrong hash, a web page) is passed over with
 * its reason; when none works the error lists every source and why. A dropped connection, a full
 * quota or a cancel ends the call as a single download's would: the stored part is kept.
 */
export async function downloadFromSources(env: SourcesEnv, file: SourcedFile, options: DownloadOptions = {}): Promise<DownloadMeta> {
  const stored = await readMeta(env.store, file.url);
  if (stored?.state === 'verified' && fitsSources(stored, file.sources)) return stored;
  const skipped: SkippedSource[] = [];
  let lastError: unknown;
  for (const source of resumeFirst(env, file.sources, stored)) {
    try {
      const target = await targetFor(env, file, source, options.signal);
      const resuming = stored?.state === 'partial' && stored.from === target.fetchUrl;
      const refused = file.sources.length > 1 && !resuming ? await probe(env, source, target, options.signal) : undefined;
      if (refused === undefined) return await downloadFile(env, target, withSource(options, file, source, skipped));
      skipped.push({ url: source.url, reason: refused });
    } catch (err) {
      if (isAbortError(err) || options.signal?.aborted) throw isAbortError(err) ? err : new AbortError(`download of ${file.name ?? fileNameOf(file.url)} cancelled`);
      if (!(err instanceof SourceSkipped || err instanceof SourceMismatchError)) throw err;
      skipped.push({ url: source.url, reason: err.message });
      lastError = err;
    }
  }
  // One source: its own error says it all.
  if (file.sources.length === 1 && lastError !== undefined) throw lastError;
  throw noSourceError(file, skipped);
}
