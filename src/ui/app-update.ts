import { registerSW } from 'virtual:pwa-register';
import { checkConnection, watchConnection } from './connection';
import { studio, updateApp } from './store';

/** How often an open page asks the server for a new build (also on reaching it again and on showing the tab). */
const UPDATE_CHECK_MS = 60 * 60 * 1000;

let applyUpdate: (() => Promise<void>) | undefined;
let registration: ServiceWorkerRegistration | undefined;
/** Whether this tab asked for the new build: only then does the switch reload it. */
let asked = false;

/** Asks the server for a new service worker; offline, or with the server gone, there is nothing to learn. */
export async function checkForUpdate(): Promise<void> {
  await registration?.update().catch(() => undefined);
}

/**
 * Follows the connection and registers the service worker (vite-plugin-pwa's `prompt` mode: a new
 * build waits until the user reloads, so an open page never mixes files of two builds). A tab
 * whose build another tab replaced keeps running what it loaded and offers the reload instead of
 * reloading under a running job.
 */
export function startApp(): void {
  watchConnection(() => void checkForUpdate());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void checkConnection().then((online) => (online ? checkForUpdate() : undefined));
  });
  applyUpdate = registerSW({
    onOfflineReady: () => updateApp({ offlineReady: true }),
    onNeedRefresh: () => updateApp({ update: 'waiting' }),
    // The tab that asked reloads itself (reloadToUpdate); the others say so and keep what they run.
    onNeedReload: () => {
      if (!asked) updateApp({ update: 'active' });
    },
    onRegisteredSW: (_url, r) => {
      registration = r;
      setInterval(() => void checkForUpdate(), UPDATE_CHECK_MS);
    },
    onRegisterError: (err: unknown) => studio.setState({ notice: `The studio cannot work offline in this browser: ${(err as Error).message}` }),
  });
}

/**
 * "Reload": activates the waiting build and reloads this tab once it is active. Waiting for the
 * worker itself, not for the page's controller to change: a page opened before the first service
 * worker was installed has no controller and would never hear of the switch.
 */
export async function reloadToUpdate(): Promise<void> {
  asked = true;
  const waiting = registration?.waiting;
  if (!waiting || !applyUpdate) return location.reload();
  waiting.addEventListener('statechange', () => waiting.state === 'activated' && location.reload());
  await applyUpdate();
}
