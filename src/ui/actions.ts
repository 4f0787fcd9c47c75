import { isAbortError } from '../errors';
import { encodePng } from '../png';
import { pngText } from './png-metadata';
import { engine } from './engine';
import { studio } from './store';

let current: AbortController | undefined;

/** Starts the worker and shows which backend it got. */
export async function connectEngine(): Promise<void> {
  try {
    studio.setState({ backend: await engine().init() });
  } catch (err) {
    studio.setState({ status: 'error', error: `The engine could not start: ${(err as Error).message}` });
  }
}

export async function generate(): Promise<void> {
  const { settings, status } = studio.getState();
  if (status === 'running') return;
  current = new AbortController();
  studio.setState({ status: 'running', progress: { step: 0, total: settings.steps }, error: undefined });
  try {
    const image = await engine().generate(settings, (progress) => studio.setState({ progress }), current.signal);
    const png = encodePng({ width: image.width, height: image.height, data: image.rgba }, pngText(settings, image.backend, image));
    const blob = new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' });
    const previous = studio.getState().result;
    const result = { settings, backend: image.backend, png: blob, url: URL.createObjectURL(blob), width: image.width, height: image.height };
    studio.setState({ status: 'done', backend: image.backend, result });
    if (previous) URL.revokeObjectURL(previous.url);
  } catch (err) {
    studio.setState(isAbortError(err) ? { status: 'cancelled' } : { status: 'error', error: (err as Error).message });
  } finally {
    current = undefined;
  }
}

export function cancel(): void {
  current?.abort();
}
