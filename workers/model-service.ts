import { blobSource, openCheckpoint, type ByteSource } from '../src/checkpoint';
import {
  BUILTIN_MANIFEST, createModelCache, findModel, loadPack, storageStatus, withOwnFiles, waitingProgress, waitingText,
  type DownloadProgress, type FileOperation, type FileRole, type ModelCache, type ModelEntry, type ModelKind, type ModelManifest, type ModelStatus, type StorageStatus,
} from '../src/cache';
import { EngineError, PackError } from '../src/errors';
import { graphFiles, parseModelJson } from '../src/pipeline';
import { idbStore } from './idb-store';

export interface ModelsView {
  readonly manifest: ModelManifest;
  /** Why the pack given in the URL could not be used (the built-in manifest is shown instead). */
  readonly packError?: string;
  /** When the pack's host was out of reach: when the copy in use was saved (ms since the epoch). */
  readonly packSavedAt?: number;
}

export interface ModelProgress extends DownloadProgress {
  readonly modelId: string;
  readonly fileName: string;
}

export interface CachedModelFile {
  readonly name: string;
  readonly url: string;
  readonly source: ByteSource;
  readonly sha256: string;
  readonly size: number;
}

/** A small cached file's bytes in one buffer (a config, a vocabulary, a pack's graph). */
export const readWhole = (file: CachedModelFile): Promise<Uint8Array> => file.source.read(0, file.source.size);

/** The model.json kind `cli convert` writes for each manifest kind (LPIPS comes only as checkpoints). */
const MODEL_JSON_KIND: Partial<Record<ModelKind, 'unet' | 'clip' | 'swinir'>> = { diffusion: 'unet', clip: 'clip', swinir: 'swinir' };

export interface ServiceOptions {
  /** Chunk records' size; the e2e tests use a small one so a cut-off download resumes mid-file. */
  readonly chunkBytes?: number;
  /** GitHub's REST API origin; the e2e tests point it at a local stand-in. */
  readonly githubApi?: string;
}

/** "Test UNet A: waiting, downloading in another tab…" */
const waitMessage = (label: string, holder: FileOperation | undefined): string => `${label}: ${waitingText(holder)}`;

const waiting = (entry: ModelEntry, url: string, holder: FileOperation | undefined): ModelProgress =>
  ({ ...waitingProgress(url, holder), modelId: entry.id, fileName: entry.files.find((f) => f.url === url)?.name ?? url });

/**
 * The worker's side of the models panel: the manifest in use (built-in or a pack), the IndexedDB
 * cache, downloads in flight (cancelled by model id, since an AbortSignal cannot cross to the
 * worker) and the check of each checkpoint. A model is usable once every file is verified and its
 * checkpoint opens; one the reader refuses is removed with all its files, so nothing of it is kept.
 */
// eslint-disable-next-line max-lines-per-function -- the service object: each method is a few lines over the shared state
export function createModelService(options: ServiceOptions = {}) {
  const store = idbStore();
  const storage = self.navigator.storage as StorageManager | undefined;
  const locks = self.navigator.locks as LockManager | undefined;
  const cache: ModelCache = createModelCache({
    store, ...(storage ? { storage } : {}), ...(locks ? { locks } : {}), ...(options.chunkBytes ? { chunkBytes: options.chunkBytes } : {}),
    ...(options.githubApi ? { githubApi: options.githubApi } : {}),
  });
  const downloads = new Map<string, AbortController>();
  let manifest: ModelManifest = BUILTIN_MANIFEST;

  /** The first of `entries` with a file not verified in the cache. */
  const missingOf = async (entries: readonly ModelEntry[]): Promise<ModelEntry | undefined> => {
    for (const entry of entries) if ((await cache.modelStatus(entry)).state !== 'verified') return entry;
    return undefined;
  };

  const model = (id: string): ModelEntry => {
    const found = findModel(manifest, id);
    if (!found) throw new EngineError(`no model ${id} in the manifest ${manifest.name}`);
    return found;
  };

  /** The files a model is checked by: a checkpoint's weights (and head), a converted model's model.json. */
  const checkedFiles = (entry: ModelEntry) => entry.files.filter((f) => (entry.format === 'onnx' ? f.role === 'model-json' : f.role === 'weights' || f.role === 'head'));

  /** A checkpoint opens with the safe reader; a converted model's model.json is of its kind and lists the graphs the pipeline runs. */
  const check = async (entry: ModelEntry, url: string): Promise<void> => {
    const source = await cache.open(url);
    if (entry.format === 'checkpoint') return void (await openCheckpoint(source));
    const kind = MODEL_JSON_KIND[entry.kind];
    if (!kind) throw new PackError(`${entry.label}: a pack cannot carry a converted ${entry.kind} model`);
    const names = entry.files.map((f) => f.name);
    const missing = graphFiles(parseModelJson(await source.read(0, source.size), kind, entry.label)).filter((name) => !names.includes(name));
    if (missing.length > 0) throw new PackError(`${entry.label}: model.json names ${missing.join(', ')}, which the pack does not list for this model`);
  };

  /**
   * Checks a verified model (a checkpoint with the safe reader: zip, restricted pickle, tensor
   * table; a pack's model.json), so a corrupt or hostile file is refused now and removed, not kept
   * until the first generation. A checkpoint's graphs are built and cached on first use, for the
   * graph specs the pipeline asks for; a pack's are its downloaded files.
   */
  const prepare = async (entry: ModelEntry): Promise<void> => {
    const urls = checkedFiles(entry).map((f) => f.url);
    // Held for reading, so a delete in another tab cannot take the chunks away mid-check and make a
    // good file look refused; a file already deleted fails in open() with "not in the cache".
    const checkAll = async () => {
      for (const url of urls) await check(entry, url);
    };
    const refusal = await cache.reading(urls, () => checkAll().then(() => undefined, (err: unknown) => err as Error));
    if (!refusal) return;
    await cache.deleteModel(withOwnFiles(manifest, entry));
    throw new EngineError(`${entry.label} was refused and removed from the cache: ${refusal.message}`);
  };

  return {
    async load(packUrl?: string): Promise<ModelsView> {
      if (!packUrl) return { manifest };
      try {
        const pack = await loadPack(fetch, store, packUrl);
        manifest = pack.manifest;
        return { manifest, ...(pack.savedAt !== undefined ? { packSavedAt: pack.savedAt } : {}) };
      } catch (err) {
        return { manifest, packError: (err as Error).message };
      }
    },
    statuses: (): Promise<ModelStatus[]> => Promise.all(manifest.models.map((m) => cache.modelStatus(m))),
    storage: (): Promise<StorageStatus> => storageStatus(storage),

    async download(id: string, onProgress: (p: ModelProgress) => void): Promise<void> {
      const entry = model(id);
      const controller = new AbortController();
      downloads.get(id)?.abort();
      downloads.set(id, controller);
      try {
        for (const file of entry.files) {
          await cache.download({ ...file, ...(entry.page ? { page: entry.page } : {}) }, { signal: controller.signal, onProgress: (p) => onProgress({ ...p, modelId: id, fileName: file.name }) });
        }
        await prepare(entry);
      } finally {
        if (downloads.get(id) === controller) downloads.delete(id);
      }
    },
    cancelDownload(id: string): void {
      downloads.get(id)?.abort();
    },

    /** A dropped or picked file, matched to the model's file of the same name (or its weights). */
    async importFile(id: string, file: File, onProgress: (p: ModelProgress) => void): Promise<void> {
      const entry = model(id);
      const target = entry.files.find((f) => f.name === file.name) ?? entry.files.find((f) => f.role === 'weights');
      if (!target) throw new EngineError(`${entry.label} has no file to import ${file.name} as`);
      await cache.importFile(target, blobSource(file), { onProgress: (p) => onProgress({ ...p, modelId: id, fileName: target.name }) });
      // A model with a config converts once both files are in, whichever came first.
      if ((await cache.modelStatus(entry)).state === 'verified') await prepare(entry);
    },

    deleteModel: (id: string, onProgress?: (p: ModelProgress) => void): Promise<void> =>
      cache.deleteModel(withOwnFiles(manifest, model(id)), (url, holder) => onProgress?.(waiting(model(id), url, holder))),
    deleteAll: (): Promise<void> => cache.deleteAll(),
    /** The IndexedDB store, shared with the pipeline's graph cache. */
    store,
    /** A verified file of a model by role (the first of it) or by name: its bytes as a ByteSource and its digest. */
    async file(id: string, which: FileRole | { readonly name: string }): Promise<CachedModelFile | undefined> {
      const file = model(id).files.find((f) => (typeof which === 'string' ? f.role === which : f.name === which.name));
      if (!file) return undefined;
      const [source, status] = [await cache.open(file.url), await cache.status(file.url)];
      return { name: file.name, url: file.url, source, sha256: status.sha256 ?? '', size: status.bytesDone };
    },
    /**
     * Runs a generation with every file of the models `ids` held for reading (shared lock): another
     * tab's delete or download of them waits until it ends. `onWait` hears what it waits for.
     */
    async reading<T>(ids: readonly string[], fn: () => Promise<T>, onWait: (message: string) => void): Promise<T> {
      const entries = ids.map(model);
      const urls = entries.flatMap((e) => e.files.map((f) => f.url));
      return cache.reading(urls, async () => {
        const missing = await missingOf(entries);
        if (missing) throw new EngineError(`${missing.label} is not in the cache any more (deleted in another tab?): download it again or choose other models`);
        return fn();
      }, (url, holder) => onWait(waitMessage(entries.find((e) => e.files.some((f) => f.url === url))?.label ?? url, holder)));
    },
    model,
    /** The models' labels as a job names them. */
    labelOf: (ids: readonly string[]): string => ids.map((id) => model(id).label).join(' + '),
  };
}

export type ModelService = ReturnType<typeof createModelService>;
