import { isCheckpointFile } from './checkpoint-files';
import type { FixtureDir, Manifest } from './types';
import { fileForConfig } from './unet-weights';

/**
 * The models of other groups a group runs (guidance: a UNet, CLIP and SwinIR), found through those
 * groups' manifests: their `files`, their `settings.configs` and the sizes a case needs, so nothing
 * here names a file of a particular fixture set.
 */

/** CLIP's BPE vocabulary: upstream's own file (openai/CLIP), kept beside the clip group's checkpoints. */
export const CLIP_VOCABULARY = 'bpe_simple_vocab_16e6.txt.gz';

interface GroupManifest {
  readonly manifest: Manifest;
  /** The group's folder relative to the fixture root, with a trailing slash ('' at the top). */
  readonly folder: string;
}

/** The manifest of `group` in `dir`, or an error naming what is missing. */
export async function groupManifest(dir: FixtureDir, group: string): Promise<GroupManifest> {
  for (const path of await dir.listManifests()) {
    const manifest = JSON.parse(await dir.readText(path)) as Manifest;
    if (manifest.group === group) return { manifest, folder: path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '' };
  }
  throw new Error(`no manifest of group '${group}' in the fixture directory`);
}

/** guided-diffusion's `diffusion_steps` default (model_and_diffusion_defaults), for kwargs that omit it. */
const DEFAULT_DIFFUSION_STEPS = 1000;

export interface UnetFiles {
  /** The config's name in the unet group's settings.configs. */
  readonly name: string;
  readonly checkpoint: string;
  readonly yaml: string;
  /** `diffusion_steps` of the config's create_model_and_diffusion kwargs. */
  readonly diffusionSteps: number;
}

interface UnetConfigSettings {
  readonly full_create_model_and_diffusion_kwargs?: { readonly image_size?: number; readonly class_cond?: boolean; readonly diffusion_steps?: number };
}

/** The unet group's unconditional configs of the given image size, with their checkpoint and yaml files. */
export async function unetCandidates(dir: FixtureDir, imageSize: number): Promise<UnetFiles[]> {
  const { manifest, folder } = await groupManifest(dir, 'unet');
  const configs = (manifest.settings.configs ?? {}) as Record<string, UnetConfigSettings>;
  const found = Object.entries(configs).flatMap(([name, s]) => {
    const k = s.full_create_model_and_diffusion_kwargs;
    const checkpoint = fileForConfig(manifest.files, name);
    const yaml = Object.keys(manifest.files).find((f) => /\.ya?ml$/.test(f) && f.replace(/\.[^.]+$/, '') === checkpoint?.replace(/\.[^.]+$/, ''));
    if (!k || k.image_size !== imageSize || k.class_cond || !checkpoint || !yaml) return [];
    return [{ name, checkpoint: folder + checkpoint, yaml: folder + yaml, diffusionSteps: k.diffusion_steps ?? DEFAULT_DIFFUSION_STEPS }];
  });
  if (found.length === 0) throw new Error(`the unet group has no unconditional ${imageSize}×${imageSize} config with a checkpoint and a yaml`);
  return found;
}

/**
 * The clip group's checkpoint that clip-diffusion-art loads (`clip.load` of a TorchScript archive;
 * the group checks that every file holds the same weights), and the vocabulary beside it.
 */
export async function clipFiles(dir: FixtureDir): Promise<{ checkpoint: string; vocabulary: string }> {
  const { manifest, folder } = await groupManifest(dir, 'clip');
  const checkpoints = Object.keys(manifest.files).filter(isCheckpointFile);
  const checkpoint = checkpoints.find((f) => /torchscript/i.test(manifest.files[f] ?? '')) ?? checkpoints[0];
  if (!checkpoint) throw new Error('the clip group lists no checkpoint file');
  return { checkpoint: folder + checkpoint, vocabulary: folder + CLIP_VOCABULARY };
}

/** The swinir group's checkpoints, by config name. */
export async function swinirCheckpoints(dir: FixtureDir): Promise<Map<string, string>> {
  const { manifest, folder } = await groupManifest(dir, 'swinir');
  const names = Object.keys((manifest.settings.configs ?? {}) as Record<string, unknown>);
  return new Map(names.flatMap((name) => {
    const file = fileForConfig(manifest.files, name);
    return file ? [[name, folder + file] as const] : [];
  }));
}
