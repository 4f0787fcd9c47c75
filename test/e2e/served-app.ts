import { afterAll, beforeAll } from 'vitest';
import type { PreviewServer } from 'vite';
import { serveApp } from './browser';

/** The built app served for one test file (started before its tests, stopped after); `url` is read inside tests. */
export function servedApp(): { readonly url: string } {
  let served: { url: string; server: PreviewServer } | undefined;
  beforeAll(async () => {
    served = await serveApp();
  });
  afterAll(async () => {
    await served?.server.close();
  });
  return {
    get url() {
      if (!served) throw new Error('the app is served from beforeAll: read url inside a test');
      return served.url;
    },
  };
}
