import { openCheckpoint } from '../src/checkpoint';
import { EngineError } from '../src/errors';
import { createClipTokenizer, loadClip } from '../src/models/clip';
import { loadLpips, type LpipsModel } from '../src/models/lpips';
import { loadSwinIR, type SwinIRModel } from '../src/models/swinir';
import { loadUnetWeights, parseModelConfigYaml, resolveConfig, unetPreset, type UnetFlags } from '../src/models/unet';
import type { GraphSpec, ModelSources } from '../src/pipeline';
import { choiceIds, type CachedChoice } from './job-types';
import { readWhole, type CachedModelFile, type ModelService } from './model-service';
import { trainedLabel, type Sources } from './model-sources';
import { trainedUnet } from './trained-unet';

const required = async (service: ModelService, id: string, role: 'weights' | 'head' | 'config', what: string) => {
  const file = await service.file(id, role);
  if (!file) throw new EngineError(`${service.model(id).label}: ${what}`);
  return file;
};

const digestOf = (file: CachedModelFile) => ({ url: file.url, size: file.size, sha256: file.sha256 });


/** A cached UNet's flags: the yaml the manifest lists (seed-spec §11.2), else the LSUN base's README flags (§11.6). */
export async function cachedUnetFlags(service: ModelService, id: string): Promise<UnetFlags> {
  const config = await service.file(id, 'config');
  return config ? parseModelConfigYaml(new TextDecoder().decode(await readWhole(config))) : unetPreset('lsun_uncond_100M_1200K_bs128').flags;
}

/** The cached UNet, or (`trained`) a file of the studio's training run fine-tuned from it. */
async function unetSources(service: ModelService, id: string, trained?: string) {
  const config = resolveConfig(await cachedUnetFlags(service, id));
  if (trained) {
    const { weights, key } = await trainedUnet(trained, config);
    return { config, weights, graphSource: { url: key, size: 0 } };
  }
  const weights = await required(service, id, 'weights', 'no weights file');
  return { config, weights: await loadUnetWeights(await openCheckpoint(weights.source), config, weights.name), graphSource: digestOf(weights) };
}

/** CLIP and its tokenizer: the BPE vocabulary is the CLIP model's config file (openai/CLIP bpe_simple_vocab_16e6.txt.gz). */
async function clipSources(service: ModelService, id: string) {
  const weights = await required(service, id, 'weights', 'no weights file');
  const vocab = await required(service, id, 'config', "needs CLIP's BPE vocabulary (bpe_simple_vocab_16e6.txt.gz) as its config file, and the manifest lists none");
  const clip = await loadClip(await openCheckpoint(weights.source));
  return { clip, tokenizer: createClipTokenizer(await readWhole(vocab)), graphSource: digestOf(weights) };
}

async function swinirSource(service: ModelService, id: string | undefined, largeSr: boolean): Promise<SwinIRModel | undefined> {
  if (!id) return undefined;
  const weights = await required(service, id, 'weights', 'no weights file');
  return loadSwinIR(weights.source, { largeSr, label: weights.name });
}

/**
 * LPIPS-VGG from the cache, read when the init term first runs: VGG16's convolutions (all the cache
 * keeps of torchvision's file) and LPIPS's linear layers. Its graph is keyed by VGG16's digest alone:
 * the head file is pinned by the entry's SHA-256.
 */
async function lpipsSource(service: ModelService, id: string | undefined): Promise<{ load: () => Promise<LpipsModel>; graphSource: ReturnType<typeof digestOf> } | undefined> {
  if (!id) return undefined;
  const trunk = await required(service, id, 'weights', 'no VGG16 weights file');
  const lin = await required(service, id, 'head', "no linear-weights file (LPIPS's vgg.pth)");
  return { load: () => loadLpips(trunk.source, lin.source, { trunk: trunk.name, lin: lin.name }), graphSource: digestOf(trunk) };
}

/**
 * Models read from the cache's verified chunks (tensors by range, never a whole file in one
 * buffer). UNet graphs are cached under the UNet checkpoint's digest, each CLIP's under its own.
 * The guides share the first one's tokenizer (OpenAI's CLIPs all read the same vocabulary).
 */
export async function cachedSources(service: ModelService, choice: CachedChoice): Promise<Sources> {
  const unet = await unetSources(service, choice.diffusion, choice.unet);
  const clips: Awaited<ReturnType<typeof clipSources>>[] = [];
  for (const guide of choice.clips) clips.push(await clipSources(service, guide.id));
  if (!clips[0]) throw new EngineError('choose a CLIP model to guide');
  const [m, l] = [await swinirSource(service, choice.swinirM, false), await swinirSource(service, choice.swinirL, true)];
  const swinir = { ...(m ? { M: m } : {}), ...(l ? { L: l } : {}) };
  const lpips = await lpipsSource(service, choice.lpips);
  const sources: ModelSources = { unet: { config: unet.config, weights: unet.weights }, clips: clips.map((c) => c.clip), tokenizer: clips[0].tokenizer, swinir, ...(lpips ? { lpips: lpips.load } : {}) };
  const label = trainedLabel(service.labelOf(choiceIds(choice)), choice.unet);
  const graphSource = (spec: GraphSpec) => ('guide' in spec ? clips[spec.guide]!.graphSource : spec.kind === 'lpips' && lpips ? lpips.graphSource : unet.graphSource);
  return { sources, label, graphSource };
}
