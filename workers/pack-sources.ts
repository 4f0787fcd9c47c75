import { PackError } from '../src/errors';
import type { PackModel, PackSources } from '../src/pipeline';
import { choiceIds, type CachedChoice } from './job-types';
import { readWhole, type ModelService } from './model-service';

/** A converted model of the pack: its model.json and its ONNX files by name, read from the cache's verified chunks. */
async function packModel(service: ModelService, id: string): Promise<PackModel> {
  const { label } = service.model(id);
  const json = await service.file(id, 'model-json');
  if (!json) throw new PackError(`${label}: the pack lists no model.json for it`);
  return {
    label,
    modelJson: await readWhole(json),
    async file(name) {
      const file = await service.file(id, { name });
      if (!file) throw new PackError(`${label}: model.json names ${name}, which the pack does not list for this model`);
      return readWhole(file);
    },
  };
}

/** Whether the choice is of converted models (format 'onnx'); a choice mixes no formats. */
export function isPackChoice(service: ModelService, choice: CachedChoice): boolean {
  const ids = choiceIds(choice);
  const formats = new Set(ids.map((id) => service.model(id).format));
  if (formats.size > 1) throw new PackError(`choose models of one format: ${ids.map((id) => `${service.model(id).label} is ${service.model(id).format === 'onnx' ? 'converted (ONNX)' : 'a checkpoint'}`).join(', ')}`);
  return formats.has('onnx');
}

/** The pack's converted UNet, CLIP (with its BPE vocabulary, the entry's config file) and SwinIR, as the pipeline takes them. */
export async function packSources(service: ModelService, choice: CachedChoice): Promise<{ pack: PackSources; label: string }> {
  const [clip, ...others] = choice.clips.map((g) => g.id);
  if (!clip || others.length > 0) throw new PackError(`a pack's converted CLIP guides alone: choose one CLIP model (${choice.clips.length} chosen)`);
  const vocabulary = await service.file(clip, 'config');
  if (!vocabulary) throw new PackError(`${service.model(clip).label} needs CLIP's BPE vocabulary (bpe_simple_vocab_16e6.txt.gz) as its config file, and the pack lists none`);
  const swinir: Partial<Record<'M' | 'L', PackModel>> = {};
  if (choice.swinirM) swinir.M = await packModel(service, choice.swinirM);
  if (choice.swinirL) swinir.L = await packModel(service, choice.swinirL);
  const pack: PackSources = { unet: await packModel(service, choice.diffusion), clip: await packModel(service, clip), vocabulary: await readWhole(vocabulary), swinir };
  return { pack, label: service.labelOf(choiceIds(choice)) };
}
