/**
 * Record keys. Every key starts with a kind and an URI-encoded name followed by '/', so a prefix
 * names exactly one file's records (encodeURIComponent escapes '/') and "delete one" is a prefix
 * delete.
 *   file/<url>/meta          download meta (meta.ts)
 *   file/<url>/chunk/<i>     i-th chunk of the downloaded bytes
 *   file/<url>/subset/chunk/<i>  i-th chunk of the tensors kept of a checkpoint (subset.ts)
 *   graph/<source>/<options>/entry               converted-graph entry (graph-cache.ts)
 *   graph/<source>/<options>/file/<name>/chunk/<i>
 *   github-asset/<api>/<repo>/<tag>/<asset>      a GitHub release asset's id (github.ts)
 *   pack/<url>                                   a pack's manifest as last fetched (pack.ts)
 */
export const FILE_PREFIX = 'file/';
export const GRAPH_PREFIX = 'graph/';
export const GITHUB_ASSET_PREFIX = 'github-asset/';
export const PACK_PREFIX = 'pack/';

const part = (name: string): string => `${encodeURIComponent(name)}/`;

export interface ChunkedKeys {
  readonly prefix: string;
  chunk(index: number): string;
}

const chunked = (prefix: string): ChunkedKeys => ({ prefix, chunk: (i) => `${prefix}chunk/${i}` });

export interface FileKeys extends ChunkedKeys {
  readonly meta: string;
  /** The prefix of the whole file's chunks alone. */
  readonly wholeChunks: string;
  /** The records of the tensors kept when a manifest file says `keep`. */
  readonly subset: ChunkedKeys;
}

export function fileKeys(url: string): FileKeys {
  const prefix = FILE_PREFIX + part(url);
  return { ...chunked(prefix), meta: `${prefix}meta`, wholeChunks: `${prefix}chunk/`, subset: chunked(`${prefix}subset/`) };
}

export interface GraphKeys {
  readonly prefix: string;
  readonly entry: string;
  file(name: string): ChunkedKeys;
}

export function graphKeys(source: string, options: string): GraphKeys {
  const prefix = GRAPH_PREFIX + part(source) + part(options);
  return { prefix, entry: `${prefix}entry`, file: (name) => chunked(`${prefix}file/${part(name)}`) };
}

/** The prefix of every converted graph made from `source`, whatever the options. */
export const graphSourcePrefix = (source: string): string => GRAPH_PREFIX + part(source);

export const githubAssetKey = (api: string, asset: { readonly repo: string; readonly tag: string; readonly asset: string }): string =>
  GITHUB_ASSET_PREFIX + part(api) + part(asset.repo) + part(asset.tag) + encodeURIComponent(asset.asset);

export const packKey = (url: string): string => PACK_PREFIX + encodeURIComponent(url);
