import { CacheError } from '../errors';
import { htmlError, InterruptedError, statusError, unreachableError } from './cache-errors';
import { isHtmlContentType, looksLikeHtml, readCapped, type FetchLike, type ResponseLike } from './http';
import type { ModelManifest } from './manifest';
import { validateManifest } from './manifest-validate';
import { packKey } from './keys';
import type { KeyValueStore } from './store';

/** A manifest is a page of JSON; anything bigger is not one. */
export const MAX_MANIFEST_BYTES = 1 << 20;

function parseJson(bytes: Uint8Array, url: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch (err) {
    throw new CacheError(`${url} is not a JSON model manifest (${(err as Error).message})`);
  }
}

/**
 * Fetches and validates a pack: a manifest of pre-converted models (format 'onnx', each with its
 * model.json) that someone hosts; relative file URLs resolve against the pack's URL.
 */
export async function fetchPack(fetch: FetchLike, url: string, signal?: AbortSignal): Promise<ModelManifest> {
  if (!/^https?:\/\//i.test(url)) throw new CacheError(`a pack URL must start with http:// or https:// (got ${JSON.stringify(url.slice(0, 80))})`);
  let response: ResponseLike;
  try {
    response = await fetch(url, { headers: {}, ...(signal ? { signal } : {}) });
  } catch (err) {
    throw unreachableError(url, err);
  }
  if (response.status !== 200) throw statusError(url, response);
  if (isHtmlContentType(response.headers.get('content-type'))) throw htmlError(url);
  const bytes = await readCapped(response, url, MAX_MANIFEST_BYTES, 'a model manifest');
  if (looksLikeHtml(bytes.subarray(0, 64))) throw htmlError(url);
  return validateManifest(parseJson(bytes, url), url, url);
}

export interface LoadedPack {
  readonly manifest: ModelManifest;
  /** Set when the pack's host could not be reached and the copy saved then is in use (ms since the epoch). */
  readonly savedAt?: number;
}

interface SavedPack {
  readonly manifest: unknown;
  readonly savedAt: number;
}

/**
 * A pack, fetched and saved, or, when its host cannot be reached (offline, a dropped connection, a
 * server error), the copy saved on the last visit, so models cached from it stay usable offline. A
 * pack that answers but is wrong is an error, not a reason to use an old copy.
 */
export async function loadPack(fetch: FetchLike, store: KeyValueStore, url: string, now = Date.now()): Promise<LoadedPack> {
  try {
    const manifest = await fetchPack(fetch, url);
    await store.set(packKey(url), { manifest, savedAt: now } satisfies SavedPack);
    return { manifest };
  } catch (err) {
    if (!(err instanceof InterruptedError)) throw err;
    const saved = (await store.get(packKey(url))) as SavedPack | undefined;
    if (!saved) throw err;
    // Saved by an older build, whose manifest format may differ: checked again like a fetched one.
    return { manifest: validateManifest(saved.manifest, url, url), savedAt: saved.savedAt };
  }
}
