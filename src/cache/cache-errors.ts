import { CacheError } from '../errors';
import type { ResponseLike } from './http';
import type { FileSource } from './manifest';
import type { DownloadMeta } from './meta';
import { formatBytes, type StorageStatus } from './storage-info';

/**
 * A failure after which the stored chunks are still good (dropped connection, offline, server
 * error): they are kept and the next try resumes from them. Its name stays 'CacheError'.
 */
export class InterruptedError extends CacheError {}

/**
 * The bytes a source gave are not the file (a web page, another size, another digest): nothing of
 * them is kept, and the next source may be tried. Its name stays 'CacheError'.
 */
export class SourceMismatchError extends CacheError {}

export const htmlError = (url: string): SourceMismatchError =>
  new SourceMismatchError(
    `${url} answered with a web page (HTML) instead of the model file: the link is wrong, has moved, or needs a login. ` +
      'Nothing was cached. Check the URL, or download the file yourself and drop it on the page.',
  );

/** A fetch that rejected: in a browser that is a CORS refusal or no network, which look the same to a page. */
export const unreachableError = (url: string, cause: unknown): InterruptedError =>
  new InterruptedError(
    `${url} cannot be fetched from the browser: the server does not allow downloads from this page (CORS) or the network is offline ` +
      `(${cause instanceof Error ? cause.message : String(cause)}). ` +
      'Download the file yourself and drop it on the page (or choose it with the file picker) instead.',
  );

/** A download asked for while the browser says it has no network: refused before any request, nothing lost. */
export const offlineError = (label: string, kept: number): InterruptedError =>
  new InterruptedError(
    `you are offline: ${label} cannot be downloaded now. ` +
      (kept > 0 ? `The ${formatBytes(kept)} stored so far are kept: press Resume when you are back online.` : 'Press Download again when you are back online.'),
  );

export const statusError = (url: string, response: ResponseLike): InterruptedError =>
  new InterruptedError(`${url} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}; the model file could not be downloaded`);

export const droppedMessage = (url: string, kept: number, total: number | undefined, cause: unknown): string =>
  `the connection to ${url} dropped after ${formatBytes(kept)}${total !== undefined ? ` of ${formatBytes(total)}` : ''} were stored ` +
  `(${cause instanceof Error ? cause.message : String(cause)}); they are kept and the next try resumes from there`;

/**
 * The origin's storage quota ran out while storing a download. Like an interruption, the chunks
 * already stored are good and kept (the user loses nothing): once room is made, Resume carries on
 * from them. Its name stays 'CacheError'.
 */
export class QuotaError extends InterruptedError {}

export interface QuotaFigures {
  /** Bytes still to store; undefined when the size is unknown. */
  readonly needed: number | undefined;
  /** Bytes of the file kept in the cache for resuming (0: nothing stored). */
  readonly kept: number;
}

/** What was needed, what the browser says is available, what is kept, and what to do. */
export function quotaMessage(name: string, figures: QuotaFigures, status: StorageStatus): string {
  const { needed, kept } = figures;
  const need = needed !== undefined ? `it needs ${formatBytes(needed)} more` : 'its size is unknown';
  const free = status.free !== undefined
    ? `the browser lets this site store ${formatBytes(status.free)} more (quota ${formatBytes(status.quota ?? 0)}, ${formatBytes(status.usage ?? 0)} used)`
    : 'the browser does not say how much space is left';
  // Chromium's estimate can exceed what it enforces (a quota override, a disk filling meanwhile).
  const despite = needed !== undefined && status.free !== undefined && status.free >= needed ? ', yet it refused to store more' : '';
  const keep = kept > 0 ? `The ${formatBytes(kept)} stored so far are kept: make room, then press Resume to carry on from there.` : 'Nothing of it was kept.';
  return (
    `not enough storage to cache ${name}: ${need}, and ${free}${despite}. ${keep} ` +
    'To make room, delete cached models you do not need or free disk space; "Keep models (persistent storage)" stops the browser ' +
    'evicting the cache and lets some browsers (Firefox) allow more.'
  );
}

export const sizeMismatchError = (name: string, got: number, expected: number, from: string): SourceMismatchError =>
  new SourceMismatchError(`${name} downloaded as ${got} bytes but ${from} says ${expected} bytes: the file is truncated or not the expected one; nothing was kept`);

export const hashMismatchError = (name: string, got: string, expected: string): SourceMismatchError =>
  new SourceMismatchError(
    `${name} does not match its SHA-256 (got ${got}, expected ${expected}): the file is corrupt or not the expected model; nothing was kept`,
  );

/** A dropped file that is none of the versions the manifest knows (each source's size and SHA-256). */
export const unmatchedImportError = (name: string, meta: DownloadMeta, sources: readonly FileSource[]): SourceMismatchError =>
  new SourceMismatchError(
    `${name} (${meta.bytesDone} bytes, SHA-256 ${meta.sha256 ?? '?'}) is none of the files its sources hold ` +
      `(${sources.map((s) => `${s.size ?? 'any size'}, ${s.sha256 ?? 'any SHA-256'}`).join('; ')}): it is corrupt or another model; nothing was kept`,
  );
