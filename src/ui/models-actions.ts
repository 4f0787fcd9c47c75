import { proxy } from 'comlink';
import { findModel, offlineError, requestPersistence, type ModelEntry, type ModelKind } from '../cache';
import { checkConnection } from './connection';
import type { ModelProgress } from '../../workers/model-service';
import { engine } from './engine';
import { studio, updateModels } from './store';

const without = <T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> => {
  const rest = { ...record };
  delete rest[key];
  return rest;
};

/** Tabs share the cache: each tells the others when it changed it, and they re-read their panels. */
const channel = typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel('clip-diffusion-web/models');
if (channel) channel.onmessage = () => void refreshModels().catch(() => undefined);

/** Re-reads every model's cache state and the storage estimate. */
export async function refreshModels(): Promise<void> {
  const api = await engine().models();
  const [statuses, storage] = await Promise.all([api.modelStatuses(), api.storage()]);
  updateModels(() => ({ statuses: Object.fromEntries(statuses.map((s) => [s.id, s])), storage }));
}

/**
 * Loads the manifest (the `?pack=` URL's, else the built-in one) and the cache state; a worker
 * started later (after a lost device) is set up the same way. `?loseDeviceAtStep=` fires once;
 * `?chunkKiB=` and `?githubApi=` are test hooks (small cache records, a local GitHub API).
 */
export async function loadModels(params: URLSearchParams): Promise<void> {
  const chunkKiB = Number(params.get('chunkKiB'));
  const githubApi = params.get('githubApi');
  let loseDeviceAtStep = Number(params.get('loseDeviceAtStep'));
  await engine().onStart(async (api) => {
    // One call: the first configure makes the worker's model service.
    if (chunkKiB > 0 || githubApi) await api.configure({ ...(chunkKiB > 0 ? { chunkBytes: chunkKiB * 1024 } : {}), ...(githubApi ? { githubApi } : {}) });
    if (loseDeviceAtStep > 0) await api.configure({ loseDeviceAtStep });
    loseDeviceAtStep = 0;
    const view = await api.loadModels(params.get('pack') ?? undefined);
    updateModels(() => ({ manifest: view.manifest, packError: view.packError, packSavedAt: view.packSavedAt }));
  });
  await refreshModels();
}

/** Runs one operation on a model: busy while it runs, its error kept for the row, the state re-read after. */
async function withModel(id: string, op: () => Promise<void>): Promise<void> {
  updateModels((m) => ({ busy: { ...m.busy, [id]: true }, errors: without(m.errors, id) }));
  try {
    await op();
  } catch (err) {
    updateModels((m) => ({ errors: { ...m.errors, [id]: (err as Error).message } }));
  } finally {
    updateModels((m) => ({ busy: without(m.busy, id), progress: without(m.progress, id) }));
    channel?.postMessage('changed');
    await refreshModels().catch(() => undefined);
  }
}

const onProgress = proxy((p: ModelProgress) => updateModels((m) => ({ progress: { ...m.progress, [p.modelId]: p }, fileBytes: { ...m.fileBytes, [p.url]: p.bytesDone } })));

/**
 * Downloads one model. Offline it is refused at once with what is kept (the bytes stored so far
 * stay); a failed transfer makes the page look at its connection again, so the banner tells why.
 */
export const downloadModel = (id: string): Promise<void> =>
  withModel(id, async () => {
    const { app, models } = studio.getState();
    if (!app.online) throw offlineError((models.manifest && findModel(models.manifest, id)?.label) ?? id, models.statuses[id]?.bytesDone ?? 0);
    await (await engine().models()).downloadModel(id, onProgress).catch(async (err: unknown) => {
      await checkConnection();
      throw err;
    });
  });

/**
 * Downloads the models one after another (each resumes what it has), then, when all are verified,
 * makes them the models to use. A model that fails keeps its error on its row; the others go on.
 */
export async function downloadAll(models: readonly ModelEntry[]): Promise<void> {
  for (const m of models) if (studio.getState().models.statuses[m.id]?.state !== 'verified') await downloadModel(m.id);
  const { statuses } = studio.getState().models;
  if (!models.every((m) => statuses[m.id]?.state === 'verified')) return;
  const of = (kind: ModelKind) => models.find((m) => m.kind === kind)?.id;
  const [diffusion, clip] = [of('diffusion'), of('clip')];
  if (diffusion && clip) studio.setState({ modelChoice: { source: 'cache', diffusion, clips: [{ id: clip, weight: 1 }], swinirM: of('swinir') } });
}

export const cancelDownload = async (id: string): Promise<void> => (await engine().models()).cancelDownload(id);

export const importModelFile = (id: string, file: File): Promise<void> => withModel(id, async () => (await engine().models()).importModelFile(id, file, onProgress));

export const deleteModel = (id: string): Promise<void> => withModel(id, async () => (await engine().models()).deleteModel(id, onProgress));

export async function deleteAllModels(): Promise<void> {
  try {
    await (await engine().models()).deleteAllModels();
    updateModels(() => ({ error: undefined, errors: {} }));
  } catch (err) {
    updateModels(() => ({ error: (err as Error).message }));
  }
  channel?.postMessage('changed');
  await refreshModels();
}

/** `persist()` exists on the page only (not in workers). */
export async function requestStoragePersistence(): Promise<void> {
  const result = await requestPersistence(navigator.storage);
  updateModels(() => ({ persistence: result.granted ? 'Storage is persistent: the browser will not evict the models.' : `Not persistent: ${result.reason ?? ''}` }));
  await refreshModels();
}
