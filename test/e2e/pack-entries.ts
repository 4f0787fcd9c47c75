import type { ConvertedModel } from '../../src/models/convert';
import { fixturePath } from '../fixtures';
import { convertFixturePack } from '../pipeline/pack-fixture';
import { hostFixture, sha256Hex, type HostedFile } from './model-server';

export interface PackEntry {
  readonly entry: object;
  readonly hosted: readonly HostedFile[];
}

export interface OnnxModelFiles {
  readonly files: readonly { path: string; data: Uint8Array }[];
  readonly modelJson: Uint8Array;
}

/** A converted model as a pack entry (format 'onnx'): model.json and its ONNX files, hosted under `dir/` and listed by relative URL. */
export function onnxEntry(id: string, kind: string, label: string, dir: string, model: OnnxModelFiles, extra: readonly (HostedFile & { role: string })[] = []): PackEntry {
  const files = [
    { name: 'model.json', role: 'model-json', bytes: model.modelJson },
    ...model.files.map((f) => ({ name: f.path, role: 'onnx', bytes: f.data })),
    ...extra,
  ];
  return {
    entry: { id, kind, label, format: 'onnx', files: files.map((f) => ({ name: f.name, role: f.role, url: `${dir}/${f.name}`, size: f.bytes.byteLength, sha256: sha256Hex(f.bytes) })) },
    hosted: files.map((f) => ({ name: `${dir}/${f.name}`, bytes: f.bytes })),
  };
}

export const asPack = (m: ConvertedModel): OnnxModelFiles => ({ files: m.files, modelJson: new TextEncoder().encode(JSON.stringify(m.manifest)) });

/**
 * What `cli convert unet|clip|swinir` writes for the fixture checkpoints (fp32; augmented guidance,
 * C = 2, T = 6; 40×40 SwinIR tile) as the entries 'Pack UNet A', 'Pack CLIP' (with CLIP's BPE
 * vocabulary) and 'Pack SwinIR-M'; `converted` for entries made from them.
 */
export async function fixturePackEntries() {
  const converted = await convertFixturePack({ augment: true });
  const vocab = hostFixture('bpe_simple_vocab_16e6.txt.gz', fixturePath('clip', 'bpe_simple_vocab_16e6.txt.gz'));
  const entries = [
    onnxEntry('unet-a-onnx', 'diffusion', 'Pack UNet A', 'unet', asPack(converted.unet)),
    onnxEntry('clip-onnx', 'clip', 'Pack CLIP', 'clip', asPack(converted.clip), [{ ...vocab, role: 'config' }]),
    onnxEntry('swinir-m-onnx', 'swinir', 'Pack SwinIR-M', 'swinir', asPack(converted.swinir)),
  ];
  return { converted, entries };
}

/** The pack's manifest, hosted as pack.json next to its files. */
export function hostedPack(entries: readonly PackEntry[]): HostedFile[] {
  const manifest = { format: 'clip-diffusion-web/models', version: 1, name: 'Converted test pack', models: entries.map((e) => e.entry) };
  return [...entries.flatMap((e) => e.hosted), { name: 'pack.json', contentType: 'application/json', bytes: new TextEncoder().encode(JSON.stringify(manifest)) }];
}
