import type { FetchLike, ResponseLike } from '../cache/index';

/**
 * `fetch` as a page served from `origin` sees it, for Node (which enforces no CORS): redirects are
 * followed hop by hop and every cross-origin hop must send Access-Control-Allow-Origin (`*` or the
 * origin), else the call rejects with a TypeError as a browser's does; response headers a page may not
 * read (not CORS-safelisted, not in Access-Control-Expose-Headers) read as null. `models check` uses
 * it to say whether a page could fetch a source; the tests use it to stand in for the browser.
 */
export function browserFetch(origin: string, fetchImpl: typeof fetch = fetch): FetchLike {
  return async (url, init) => {
    let at = url;
    for (let hop = 0; hop < 20; hop++) {
      const response = await fetchImpl(at, { headers: { ...init.headers, Origin: origin }, redirect: 'manual', ...(init.signal ? { signal: init.signal } : {}) });
      const crossOrigin = new URL(at).origin !== origin;
      const allowed = response.headers.get('access-control-allow-origin');
      if (crossOrigin && allowed !== '*' && allowed !== origin) {
        await response.body?.cancel().catch(() => undefined);
        throw new TypeError(`Failed to fetch (${new URL(at).host} sends no Access-Control-Allow-Origin for ${origin})`);
      }
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel().catch(() => undefined);
        at = new URL(location, at).href;
        continue;
      }
      return crossOrigin ? exposedOnly(response) : response;
    }
    throw new TypeError(`Failed to fetch (${url}: more than 20 redirects)`);
  };
}

/** What fetch always lets a page read of a cross-origin response (the Fetch standard's safelist). */
const SAFELISTED = new Set(['cache-control', 'content-language', 'content-length', 'content-type', 'expires', 'last-modified', 'pragma']);

function exposedOnly(response: Response): ResponseLike {
  const exposed = (response.headers.get('access-control-expose-headers') ?? '').split(',').map((h) => h.trim().toLowerCase());
  const readable = (name: string) => SAFELISTED.has(name.toLowerCase()) || exposed.includes('*') || exposed.includes(name.toLowerCase());
  return {
    status: response.status,
    statusText: response.statusText,
    headers: { get: (name) => (readable(name) ? response.headers.get(name) : null) },
    body: response.body,
  };
}
