import { getGraph, putGraph, type GraphSource, type KeyValueStore } from '../src/cache';
import { defaultGraphBytes, type GraphBytes, type GraphSpec } from '../src/pipeline';

/**
 * The pipeline's graph hook over the IndexedDB graph cache: a graph is keyed by what it was built
 * from (the checkpoint's SHA-256, or the demo pack's version) and its spec, so a second visit loads
 * the ONNX bytes instead of building and serialising them again. Keyed by the one checkpoint a
 * graph comes from, deleting that model deletes its graphs too (deleteGraphsOf).
 */
export function cachedGraphBytes(store: KeyValueStore, sourceOf: (spec: GraphSpec) => GraphSource): GraphBytes {
  return async (spec, build) => {
    const id = { source: sourceOf(spec), converterOptions: { pipelineGraph: spec } };
    const cached = await getGraph(store, id);
    if (cached) return cached.readFile('model.onnx');
    const bytes = await defaultGraphBytes(spec, build);
    // A full disk must not stop the job: the graph is simply built again next time.
    await putGraph(store, id, { modelJson: { spec }, files: [{ name: 'model.onnx', bytes }] }).catch(() => undefined);
    return bytes;
  };
}
