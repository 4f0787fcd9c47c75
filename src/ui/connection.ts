import { updateApp } from './store';

/** While offline, how often the page looks again (a dead Wi-Fi or a down server fires no event when it comes back). */
const RECHECK_MS = 15_000;

/** A file of the app's own server that the service worker does not answer for (the query makes it miss the precache). */
const probeUrl = () => `${import.meta.env.BASE_URL}manifest.webmanifest?connection-check=${Date.now()}`;

let recheck: ReturnType<typeof setInterval> | undefined;
let onBack: (() => void) | undefined;

/**
 * Whether the page can reach its server: `navigator.onLine` false settles it; true only means a
 * network interface is up (a train's Wi-Fi without internet, a host that is down), so a small
 * uncached request decides. The store's `app.online` follows; while offline it looks again.
 */
export async function checkConnection(): Promise<boolean> {
  const online = navigator.onLine && (await fetch(probeUrl(), { method: 'HEAD', cache: 'no-store' }).then((r) => r.ok, () => false));
  updateApp({ online });
  if (online && recheck !== undefined) {
    clearInterval(recheck);
    recheck = undefined;
    onBack?.();
  }
  if (!online) recheck ??= setInterval(() => void checkConnection(), RECHECK_MS);
  return online;
}

/** Follows the network from now on; `onBack` runs each time the page reaches its server again after being offline. */
export function watchConnection(back: () => void): void {
  onBack = back;
  addEventListener('online', () => void checkConnection());
  addEventListener('offline', () => void checkConnection());
  void checkConnection();
}
