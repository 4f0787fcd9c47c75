import { readCapped, type FetchLike, type ResponseLike } from './http';
import { githubAssetKey } from './keys';
import type { GithubAsset } from './manifest';
import type { KeyValueStore } from './store';

/**
 * GitHub release assets for a page: `github.com/…/releases/download/…` redirects to a CDN and neither
 * hop sends CORS, but the REST API's asset endpoint, asked for `application/octet-stream`, redirects
 * with CORS on both hops. Its id comes from the release listing, and unauthenticated callers get 60
 * API requests an hour, so the ids are kept in the store: a file costs one API call per browser, ever.
 */
export const GITHUB_API = 'https://api.github.com';

export interface GithubEnv {
  readonly fetch: FetchLike;
  readonly store: KeyValueStore;
  /** The API's origin; tests point it at a local server. */
  readonly githubApi?: string;
}

/** Where an asset's bytes are fetched, and what the API says of them. */
export interface AssetRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly size: number | undefined;
}

/** A source that cannot be used, and why in words; the caller moves on to the next source. */
export class SourceSkipped extends Error {
  override name = 'SourceSkipped';
}

interface StoredAsset {
  readonly id: number;
  readonly size?: number;
}

const isStoredAsset = (v: unknown): v is StoredAsset =>
  typeof v === 'object' && v !== null && Number.isSafeInteger((v as StoredAsset).id) && ((v as StoredAsset).size === undefined || Number.isSafeInteger((v as StoredAsset).size));

/** An API refusal in words: the rate limit says when it resets. */
function refusal(response: ResponseLike, what: string): string {
  const resets = Number(response.headers.get('x-ratelimit-reset'));
  if ((response.status === 403 || response.status === 429) && response.headers.get('x-ratelimit-remaining') === '0') {
    const when = Number.isFinite(resets) && resets > 0 ? ` until ${new Date(resets * 1000).toISOString().slice(11, 16)} UTC` : '';
    return `GitHub's API limit (60 requests an hour without sign-in) is used up${when}`;
  }
  return response.status === 404 ? `${what} not found (HTTP 404)` : `${what}: HTTP ${response.status}`;
}

async function lookUp(env: GithubEnv, api: string, asset: GithubAsset, signal?: AbortSignal): Promise<StoredAsset> {
  const url = `${api}/repos/${asset.repo}/releases/tags/${encodeURIComponent(asset.tag)}`;
  let response: ResponseLike;
  try {
    response = await env.fetch(url, { headers: { Accept: 'application/vnd.github+json' }, ...(signal ? { signal } : {}) });
  } catch (err) {
    throw new SourceSkipped(`GitHub's API did not answer (${(err as Error).message})`);
  }
  if (response.status !== 200) {
    await response.body?.getReader().cancel().catch(() => undefined);
    throw new SourceSkipped(refusal(response, `release ${asset.tag} of ${asset.repo}`));
  }
  let listing: { assets?: { id?: unknown; name?: unknown; size?: unknown }[] };
  try {
    listing = JSON.parse(new TextDecoder().decode(await readCapped(response, url, 4 << 20, "a GitHub release listing"))) as typeof listing;
  } catch (err) {
    throw new SourceSkipped(`GitHub's release listing could not be read (${(err as Error).message})`);
  }
  const found = listing.assets?.find((a) => a.name === asset.asset);
  const stored = { id: found?.id, ...(Number.isSafeInteger(found?.size) ? { size: found!.size } : {}) };
  if (!isStoredAsset(stored)) throw new SourceSkipped(`release ${asset.tag} of ${asset.repo} has no asset ${asset.asset}`);
  return stored;
}

/** How the API's URLs for a repository's assets begin (a stored download's source is recognised by it). */
export const assetRequestPrefix = (api: string | undefined, asset: GithubAsset): string => `${api ?? GITHUB_API}/repos/${asset.repo}/releases/assets/`;

/** The API request for an asset's bytes, its id looked up once and then read from the store. */
export async function resolveGithubAsset(env: GithubEnv, asset: GithubAsset, signal?: AbortSignal): Promise<AssetRequest> {
  const api = env.githubApi ?? GITHUB_API;
  const key = githubAssetKey(api, asset);
  const cached = await env.store.get(key);
  const found = isStoredAsset(cached) ? cached : await lookUp(env, api, asset, signal);
  // Only a saving: a store that refuses it (quota) costs an API call next time, nothing more.
  if (!isStoredAsset(cached)) await env.store.set(key, found).catch(() => undefined);
  return { url: `${assetRequestPrefix(api, asset)}${found.id}`, headers: { Accept: 'application/octet-stream' }, size: found.size };
}

/** Forgets a stored asset id (the asset was replaced: its old id answers 404). */
export const forgetGithubAsset = (env: GithubEnv, asset: GithubAsset): Promise<void> => env.store.del(githubAssetKey(env.githubApi ?? GITHUB_API, asset));
