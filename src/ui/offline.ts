import type { ModelManifest, ModelStatus } from '../cache';
import { verifiedModels } from './models-state';

/** The models a page can still generate with offline, by label: every one whose files are all in the cache. */
export const usableOffline = (manifest: ModelManifest | undefined, statuses: Readonly<Record<string, ModelStatus>>): string[] =>
  verifiedModels(manifest, statuses).map((m) => m.label);

/** The offline banner's words: what still works and what waits for the network. */
export function offlineMessage(cached: readonly string[]): string {
  const models = cached.length > 0 ? `the demo pack and the cached models ${cached.join(', ')}` : 'the demo pack (no model is cached yet)';
  return `You are offline. The studio runs from the files saved in this browser: you can generate with ${models}. ` +
    'Downloads need the network; what they stored is kept for later.';
}
