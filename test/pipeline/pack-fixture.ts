import { readFile } from 'node:fs/promises';
import { withFileSource } from '../../src/cli/file-source';
import type { Converter, ConvertedModel } from '../../src/models/convert';
import { convertClip } from '../../src/models/clip/index';
import { convertSwinIR } from '../../src/models/swinir/index';
import { convertUnet } from '../../src/models/unet/index';
import type { PackModel } from '../../src/pipeline/index';
import { fixturePath } from '../fixtures';

/**
 * The fixture checkpoints the pipeline tests use (UNet A, the TorchScript tiny CLIP, SwinIR M),
 * converted in memory as `cli convert` does (fp32): a pack with C = 2 cutouts and T = 6 targets
 * per guidance run at UNet A's 32×32, and a 40×40 SwinIR tile (32 pads to 40).
 */
export const PACK_OPTIONS = { cutn: 2, targets: 6, tile: 40 } as const;

async function convert(converter: Converter, path: string, args: readonly string[]): Promise<ConvertedModel> {
  return withFileSource(fixturePath(path), (source) => converter({
    source, sourceName: path.split('/').pop()!, sourceSha256: '0'.repeat(64), fp16: false, args,
    readText: (p) => readFile(fixturePath(p), 'utf8'),
  }));
}

export interface FixturePack {
  readonly unet: ConvertedModel;
  readonly clip: ConvertedModel;
  readonly swinir: ConvertedModel;
  readonly vocabulary: Uint8Array;
}

/** `augment` false converts the guidance graph with --skip_augs (the unit tests' setting; the studio's default is augmented). */
export async function convertFixturePack({ augment }: { augment: boolean }): Promise<FixturePack> {
  const { cutn, targets, tile } = PACK_OPTIONS;
  return {
    unet: await convert(convertUnet, 'unet/unet_A.pt', ['--model_config', 'unet/unet_A.yaml']),
    clip: await convert(convertClip, 'clip/clip_jit.pt', ['--height', '32', '--width', '32', '--cutn', String(cutn), '--targets', String(targets), ...(augment ? [] : ['--skip_augs'])]),
    swinir: await convert(convertSwinIR, 'swinir/swinir_M.pth', ['--tile', String(tile)]),
    vocabulary: new Uint8Array(await readFile(fixturePath('clip', 'bpe_simple_vocab_16e6.txt.gz'))),
  };
}

/** A converted model as the pipeline receives a pack's entry; `edit` changes model.json first (refusal tests). */
export function packModel(model: ConvertedModel, label: string, edit?: (json: Record<string, unknown>) => void): PackModel {
  const json = structuredClone(model.manifest) as Record<string, unknown>;
  edit?.(json);
  return {
    label,
    modelJson: new TextEncoder().encode(JSON.stringify(json)),
    file: (name) => {
      const file = model.files.find((f) => f.path === name);
      return file ? Promise.resolve(file.data) : Promise.reject(new Error(`no file ${name}`));
    },
  };
}
