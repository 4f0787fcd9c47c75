import { PackError } from '../src/errors';
import type { PackModel, PackSources } from '../src/pipeline';
import type { CachedChoice } from './job-types';
import type { ModelService } from './model-service';

const whole = async (file: { source: { size: number; read(o: number, l: number): Promise<Uint8Array> } }): Promise<Uint8Array> => file.source.read(0, file.source.size);

/** A converted model of the pack: its model.json and its ONNX files by name, read from the cache's verified chunks. */
async function packModel(service: ModelService, id: string): Promise<PackModel> {
  const { label } = service.model(id);
  const json = await service.file(id, 'model-json');
  if (!json) throw new PackError(`${label}: the pack lists no model.json for it`);
  return {
    label,
    modelJson: await whole(json),
    async file(name) {
      const file = await service.file(id, { name });
      if (!file) throw new PackError(`${label}: model.json names ${name}, which the pack does not list for this model`);
      return whole(file);
    },
  };
}

/** Whether the choice is of converted models (format 'onnx'); a choice mixes no formats. */
export function isPackChoice(service: ModelService, choice: CachedChoice): boolean {
  const ids = [choice.diffusion, choice.clip, choice.swinirM, choice.swinirL].filter((id): id is string => id !== undefined);
  const formats = new Set(ids.map((id) => service.model(id).format));
  if (formats.size > 1) throw new PackError(`choose models of one format: ${ids.map((id) => `${service.model(id).label} is ${service.model(id).format === 'onnx' ? 'converted (ONNX)' : 'a checkpoint'}`).join(', ')}`);
  return formats.has('onnx');
}

/** The pack's converted UNet, CLIP (with its BPE vocabulary, the entry's config file) and SwinIR, as the pipeline takes them. */
export async function packSources(service: ModelService, choice: CachedChoice): Promise<{ pack: PackSources; label: string }> {
  const vocabulary = await service.file(choice.clip, 'config');
  if (!vocabulary) throw new PackError(`${service.model(choice.clip).label} needs CLIP's BPE vocabulary (bpe_simple_vocab_16e6.txt.gz) as its config file, and the pack lists none`);
  const swinir: Partial<Record<'M' | 'L', PackModel>> = {};
  if (choice.swinirM) swinir.M = await packModel(service, choice.swinirM);
  if (choice.swinirL) swinir.L = await packModel(service, choice.swinirL);
  const pack: PackSources = { unet: await packModel(service, choice.diffusion), clip: await packModel(service, choice.clip), vocabulary: await whole(vocabulary), swinir };
  const label = [choice.diffusion, choice.clip, choice.swinirM, choice.swinirL].filter(Boolean).map((id) => service.model(id!).label).join(' + ');
  return { pack, label };
}
