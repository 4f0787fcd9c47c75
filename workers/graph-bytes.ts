import { getGraph, putGraph, type GraphSource, type KeyValueStore } from '../src/cache';
import { defaultGraphBytes, type GraphBytes } from '../src/pipeline';

/**
 * The pipeline's graph hook over the IndexedDB graph cache: a graph is keyed by what it was built
 * from (a checkpoint's SHA-256, or the demo pack's version) and its spec, so a second visit loads
 * the ONNX bytes instead of building and serialising them again.
 */
export function cachedGraphBytes(store: KeyValueStore, source: GraphSource): GraphBytes {
  return async (spec, build) => {
    const id = { source, converterOptions: { pipelineGraph: spec } };
    const cached = await getGraph(store, id);
    if (cached) return cached.readFile('model.onnx');
    const bytes = await defaultGraphBytes(spec, build);
    // A full disk must not stop the job: the graph is simply built again next time.
    await putGraph(store, id, { modelJson: { spec }, files: [{ name: 'model.onnx', bytes }] }).catch(() => undefined);
    return bytes;
  };
}
