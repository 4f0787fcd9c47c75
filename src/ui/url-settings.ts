import { parseSettings, type StudioSettings } from './settings';

/** The settings travel in the URL's fragment (never sent to a server), as JSON. */
const KEY = 'settings';

export function settingsFromUrl(hash: string): StudioSettings | undefined {
  const raw = new URLSearchParams(hash.replace(/^#/, '')).get(KEY);
  if (!raw) return undefined;
  try {
    return parseSettings(JSON.parse(raw));
  } catch {
    return undefined;
  }
}

/** A shareable link to these settings (the page's URL with the fragment replaced; query kept, e.g. ?pack=). */
export function urlWithSettings(href: string, settings: StudioSettings): string {
  const url = new URL(href);
  url.hash = new URLSearchParams({ [KEY]: JSON.stringify(settings) }).toString();
  return url.href;
}
