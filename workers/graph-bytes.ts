import { deleteGraph, getGraph, putGraph, type GraphSource, type KeyValueStore, type StorageManagerLike } from '../src/cache';
import { defaultGraphBytes, graphOptions, type GraphBytes, type GraphSpec } from '../src/pipeline';

export interface GraphCacheHooks {
  /** navigator.storage: a quota message quotes its estimate. */
  readonly storage?: StorageManagerLike | undefined;
  /** A graph could not be cached (quota, a broken store): the job goes on with the built bytes. */
  readonly onSkipped: (err: Error) => void;
}

/**
 * The pipeline's graph hook over the IndexedDB graph cache: a graph is keyed by what it was built
 * from (the checkpoint's SHA-256, or the demo pack's version) and its spec, so a second visit loads
 * the ONNX bytes instead of building and serialising them again. Keyed by the one checkpoint a
 * graph comes from, deleting that model deletes its graphs too (deleteGraphsOf).
 *
 * The cache is an optimisation: a write that fails (a full quota) or an entry that cannot be read
 * back (its chunks deleted by "delete all" in another tab mid-write) never fails the job.
 */
export function cachedGraphBytes(store: KeyValueStore, sourceOf: (spec: GraphSpec) => GraphSource, hooks: GraphCacheHooks): GraphBytes {
  return async (spec, build) => {
    const id = { source: sourceOf(spec), converterOptions: { pipelineGraph: graphOptions(spec) } };
    const cached = await getGraph(store, id);
    const read = await cached?.readFile('model.onnx').catch(() => undefined);
    if (read) return read;
    if (cached) await deleteGraph(store, id).catch(() => undefined);
    const bytes = await defaultGraphBytes(spec, build);
    const options = hooks.storage ? { storage: hooks.storage } : {};
    await putGraph(store, id, { modelJson: { spec }, files: [{ name: 'model.onnx', bytes }] }, options).catch((err: unknown) => hooks.onSkipped(err as Error));
    return bytes;
  };
}
