import { readFile, stat } from 'node:fs/promises';
import { openCheckpoint } from '../checkpoint/index';
import { SettingsError } from '../errors';
import { clipModelName, createClipTokenizer, loadClip, type LoadedClip } from '../models/clip/index';
import { buildDemoPack, type DemoClipName } from '../models/demo/index';
import { loadLpips } from '../models/lpips/index';
import { loadSwinIR } from '../models/swinir/index';
import { loadUnetWeights, parseModelConfigYaml, resolveConfig } from '../models/unet/index';
import type { GraphSpec, ModelSources } from '../pipeline/index';
import { withFileSource } from './file-source';
import { fileSha256, type GraphOrigin } from './graph-store';
import type { SampleFiles } from './sample-args';

export interface LoadedSources {
  readonly sources: ModelSources;
  /** Where each graph comes from, for the graph cache; absent for the demo pack (built in memory). */
  readonly originOf?: (spec: GraphSpec) => GraphOrigin;
  readonly notes: readonly string[];
}

function required(value: string | undefined, flag: string, why: string): string {
  if (value === undefined) throw new SettingsError(`${flag} is required ${why}`);
  return value;
}

async function origin(path: string, options: unknown): Promise<GraphOrigin> {
  return { sha256: await fileSha256(path), size: (await stat(path)).size, options };
}

/**
 * The models of a real run from their files: the UNet checkpoint with its yaml (as sample.py needs
 * --model_config), a CLIP checkpoint file (upstream downloads by --clip_model name; we read a file and
 * check it is that model), CLIP's BPE vocabulary, and SwinIR when --sr_model_path is given.
 */
export async function loadSources(files: SampleFiles): Promise<LoadedSources> {
  const checkpoint = required(files.checkpoint, '--checkpoint', '(the diffusion model file, e.g. 256x256_clip_diffusion_art.pt)');
  const yamlPath = required(files.modelConfig, '--model_config', '(as in sample.py, e.g. configs/256x256_clip_diffusion_art.yaml)');
  if (files.clipCheckpoints.length === 0) throw new SettingsError('--clip_checkpoint is required (a CLIP checkpoint file per --clip_model entry: OpenAI .pt or HF model.safetensors)');
  const vocabPath = required(files.clipVocab, '--clip_vocab', '(bpe_simple_vocab_16e6.txt.gz from the CLIP repository)');
  const config = resolveConfig(parseModelConfigYaml(await readFile(yamlPath, 'utf8')));
  const weights = await withFileSource(checkpoint, async (s) => loadUnetWeights(await openCheckpoint(s), config, checkpoint));
  const clips: LoadedClip[] = [];
  const notes: string[] = [];
  for (const [i, path] of files.clipCheckpoints.entries()) {
    const clip = await withFileSource(path, async (s) => loadClip(await openCheckpoint(s)));
    const [asked, name] = [files.clipModels[i]!.name, clipModelName(clip.architecture)];
    if (name !== asked) notes.push(`--clip_model ${asked}: ${path} is ${name}; using the file`);
    clips.push(clip);
  }
  const swinir = files.srModelPath ? await withFileSource(files.srModelPath, (s) => loadSwinIR(s, { largeSr: files.largeSr, label: files.srModelPath! })) : undefined;
  const lpips = files.lpipsVgg && files.lpipsLin ? await loadLpipsFiles(files.lpipsVgg, files.lpipsLin) : undefined;
  const [unetOrigin, ...clipOrigins] = await Promise.all([origin(checkpoint, config), ...files.clipCheckpoints.map((path, i) => origin(path, clips[i]!.architecture))]);
  const tokenizer = createClipTokenizer(new Uint8Array(await readFile(vocabPath)));
  return {
    sources: { unet: { config, weights }, clips, tokenizer, ...(swinir && { swinir: files.largeSr ? { L: swinir } : { M: swinir } }), ...(lpips && { lpips: () => Promise.resolve(lpips.model) }) },
    originOf: (spec) => (spec.kind === 'unet' || spec.kind === 'unet_guided' ? unetOrigin! : spec.kind === 'lpips' ? lpips!.origin : clipOrigins[spec.guide]!),
    notes,
  };
}

/** LPIPS-VGG from its two files; its converted graph is keyed by the trunk's digest with the linear weights' in the options. */
async function loadLpipsFiles(vgg: string, lin: string) {
  const model = await withFileSource(vgg, (trunk) => withFileSource(lin, (l) => loadLpips(trunk, l, { trunk: vgg, lin })));
  return { model, origin: await origin(vgg, { lin: await fileSha256(lin), widths: model.config.tapWidths }) };
}

/** --demo: the built-in pack (tiny random models) with the guides asked for, labelled. */
export function demoSources(files: SampleFiles): LoadedSources {
  const pack = buildDemoPack(files.clipModels.map((g) => g.name as DemoClipName));
  return { sources: pack, notes: [pack.label] };
}
