import { openCheckpoint, readTensorBytes, writeSafetensors } from '../checkpoint';
import { CacheError } from '../errors';
import { chunkedSource } from './chunked-source';
import { createChunkWriter } from './chunk-writer';
import { fileKeys } from './keys';
import { layoutOf, writeMeta, type DownloadMeta } from './meta';
import { deletePrefix, type KeyValueStore } from './store';

/**
 * A verified checkpoint cut down to the tensors a model reads (torchvision's VGG16 file is 528 MB,
 * LPIPS reads its 59 MB of `features.`): those tensors, in file order, become a safetensors file in
 * the file's `subset/` records and the meta says so; the whole file's records go. The meta keeps the
 * whole file's size and SHA-256, its identity in the manifest.
 *
 * The subset's records are written before the meta names them, so a reload in between finds the
 * file partial with every byte stored, and verifying it again cuts it again. Only a reload between
 * the meta and the last delete leaves whole-file records behind, until the file is deleted.
 */
export async function storeSubset(store: KeyValueStore, meta: DownloadMeta, prefixes: readonly string[], what: string): Promise<DownloadMeta> {
  const keys = fileKeys(meta.url);
  const checkpoint = await openCheckpoint(chunkedSource(store, keys, layoutOf(meta), what));
  const kept = [...checkpoint.tensors].filter(([name]) => prefixes.some((p) => name.startsWith(p)));
  if (kept.length === 0) throw new CacheError(`${what} holds no tensor named ${prefixes.map((p) => `${p}…`).join(' or ')}: it is not the checkpoint this model needs`);
  const tensors = [];
  for (const [name, t] of kept) tensors.push({ name, dtype: t.dtype, shape: t.shape, data: await readTensorBytes(t) });
  const bytes = writeSafetensors(tensors);
  await deletePrefix(store, keys.subset.prefix);
  const writer = createChunkWriter({ store, keys: keys.subset, chunkBytes: meta.chunkBytes, startIndex: 0, onStored: () => undefined });
  await writer.push(bytes);
  await writer.finish();
  const cut: DownloadMeta = { ...meta, subset: { prefixes: [...prefixes], size: bytes.byteLength } };
  await writeMeta(store, cut);
  await deletePrefix(store, keys.wholeChunks);
  return cut;
}
