import { getGraph, putGraph, type CachedGraph, type ModelCache, type ModelEntry, type ModelFile, type StorageManagerLike, type KeyValueStore } from '../src/cache';
import type { Converter, ConvertRequest } from '../src/models/convert';
import { convertClip } from '../src/models/clip';
import { convertSwinIR } from '../src/models/swinir';
import { convertUnet } from '../src/models/unet';
import { CacheError } from '../src/errors';

const CONVERTERS: Record<ModelEntry['kind'], Converter> = { diffusion: convertUnet, clip: convertClip, swinir: convertSwinIR };

const weightsOf = (model: ModelEntry): ModelFile => {
  const file = model.files.find((f) => f.role === 'weights');
  if (!file) throw new CacheError(`${model.label} lists no weights file`);
  return file;
};

/**
 * The converter's options for a checkpoint model, as `cli convert` takes them: the yaml the
 * manifest lists (clip-diffusion-art's configs, seed-spec §11.2), SwinIR-L's --large_sr, and the
 * LSUN base's README flags (seed-spec §11.6; it has no yaml upstream).
 */
export function convertArgs(model: ModelEntry): string[] {
  const config = model.files.find((f) => f.role === 'config');
  if (model.kind === 'diffusion') {
    if (config) return ['--model_config', config.name];
    return ['--preset', 'lsun_uncond_100M_1200K_bs128'];
  }
  if (model.kind === 'swinir' && /(^|-)l(-|$)/i.test(model.id)) return ['--large_sr'];
  return [];
}

export interface ConvertDeps {
  readonly cache: ModelCache;
  readonly store: KeyValueStore;
  readonly storage?: StorageManagerLike | undefined;
}

async function readConfig(deps: ConvertDeps, model: ModelEntry, name: string): Promise<string> {
  const file = model.files.find((f) => f.name === name);
  if (!file) throw new CacheError(`${model.label}: the converter asked for ${name}, which the manifest does not list`);
  const source = await deps.cache.open(file.url);
  return new TextDecoder().decode(await source.read(0, source.size));
}

/**
 * The model's converted graphs: from the graph cache when this checkpoint (by SHA-256) was
 * converted before with the same options, else converted now and cached, so the next visit skips
 * the conversion. A checkpoint the reader refuses (corrupt, hostile pickle) throws here.
 */
export async function convertedGraph(deps: ConvertDeps, model: ModelEntry): Promise<CachedGraph> {
  const weights = weightsOf(model);
  const source = await deps.cache.open(weights.url);
  // Already verified, so this only reads its record: the digest keys the converted graphs.
  const { sha256, size } = await deps.cache.download(weights);
  const args = convertArgs(model);
  const id = { source: { url: weights.url, size, sha256 }, converterOptions: { kind: model.kind, args } };
  const cached = await getGraph(deps.store, id);
  if (cached) return cached;
  const request: ConvertRequest = { source, sourceName: weights.name, sourceSha256: sha256, args, readText: (path) => readConfig(deps, model, path) };
  const converted = await CONVERTERS[model.kind](request);
  const graph = { modelJson: converted.manifest, files: converted.files.map((f) => ({ name: f.path, bytes: f.data })) };
  await putGraph(deps.store, id, graph, deps.storage ? { storage: deps.storage } : {});
  const stored = await getGraph(deps.store, id);
  if (!stored) throw new CacheError(`${model.label}: the converted graphs were not stored`);
  return stored;
}
