import { CacheError } from '../errors';
import { htmlError, statusError, unreachableError } from './cache-errors';
import { isHtmlContentType, looksLikeHtml, readCapped, type FetchLike, type ResponseLike } from './http';
import type { ModelManifest } from './manifest';
import { validateManifest } from './manifest-validate';

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
