import { createHash } from 'node:crypto';
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { float32ToHalf } from '../../src/graph/index';
import { clipShapes, seededArrays, type SeededArray } from '../../src/models/demo/index';
import { expectedShapes, relativePositionIndex, shiftMask, windowGrid } from '../../src/models/swinir/index';
import { blockPrefix } from '../../src/models/swinir/config';
import { CLIP_DIFFUSION_ART_YAML, resolveConfig, unetParameterShapes, UNET_PRESETS } from '../../src/models/unet/index';
import { PickleWriter } from '../../test/checkpoint/helpers/pickle-writer';
import { scriptModulePickle, statePickle, type StorageSpec, type TensorSpec } from '../../test/checkpoint/helpers/torch-writer';
import { ZipStream, type ZipInput } from '../../test/checkpoint/helpers/zip-writer';
import { SWINIR_M, VIT_B16 } from '../full-size-configs';

/** One tensor of a checkpoint: its state_dict name, torch storage class and raw little-endian bytes. */
interface Entry {
  readonly name: string;
  readonly cls: 'FloatStorage' | 'HalfStorage' | 'LongStorage';
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

/** A file written under the temp folder, as the model server hosts it and the manifest lists it. */
export interface WrittenFile {
  readonly name: string;
  readonly path: string;
  readonly role: 'weights' | 'config';
  readonly size: number;
  readonly sha256: string;
}

export interface WrittenModel {
  readonly id: string;
  readonly kind: 'diffusion' | 'clip' | 'swinir';
  readonly label: string;
  readonly parameters: number;
  readonly files: readonly WrittenFile[];
}

const bytesOf = (a: Float32Array | Uint16Array | BigInt64Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const f32 = (name: string, a: SeededArray): Entry => ({ name, cls: 'FloatStorage', shape: a.shape, bytes: bytesOf(a.data) });
const f16 = (name: string, a: SeededArray): Entry => ({ name, cls: 'HalfStorage', shape: a.shape, bytes: bytesOf(float32ToHalf(a.data)) });
const i64 = (name: string, shape: readonly number[], values: BigInt64Array): Entry => ({ name, cls: 'LongStorage', shape, bytes: bytesOf(values) });
const count = (entries: readonly Entry[]): number => entries.filter((e) => e.cls !== 'LongStorage').reduce((n, e) => n + e.shape.reduce((a, b) => a * b, 1), 0);

/**
 * A torch zip (torch.save / torch.jit.save layout: `<prefix>/data.pkl`, one `data/<key>` record per
 * storage, 64-byte aligned) streamed to `path`, hashed on the way; one storage per tensor.
 */
function writeTorchZip(path: string, prefix: string, entries: readonly Entry[], pickleOf: (tensors: TensorSpec[], storages: StorageSpec[]) => Uint8Array, extra: readonly ZipInput[] = []) {
  const storages: StorageSpec[] = entries.map((e, i) => ({ key: String(i), cls: e.cls, bytes: e.bytes }));
  const tensors: TensorSpec[] = entries.map((e, i) => ({ name: e.name, storage: String(i), shape: e.shape }));
  const hash = createHash('sha256');
  let size = 0;
  const fd = openSync(path, 'w');
  try {
    const zip = new ZipStream((chunk) => {
      writeSync(fd, chunk);
      hash.update(chunk);
      size += chunk.length;
    }, { align: 64 });
    zip.add({ name: `${prefix}/data.pkl`, data: pickleOf(tensors, storages) });
    for (const s of storages) zip.add({ name: `${prefix}/data/${s.key}`, data: s.bytes });
    for (const e of extra) zip.add(e);
    zip.add({ name: `${prefix}/version`, data: new TextEncoder().encode('3\n') });
    zip.finish();
  } finally {
    closeSync(fd);
  }
  return { size, sha256: hash.digest('hex') };
}

function writeText(dir: string, name: string, text: string): WrittenFile {
  const path = join(dir, name);
  const bytes = new TextEncoder().encode(text);
  writeFileSync(path, bytes);
  return { name, path, role: 'config', size: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** 256x256_clip_diffusion_art.pt: torch.save(model.state_dict()), float32, with the seed's yaml beside it. */
function writeArtUnet(dir: string): WrittenModel {
  const preset = UNET_PRESETS['256x256_clip_diffusion_art']!;
  const arrays = seededArrays(unetParameterShapes(resolveConfig(preset.flags)), 11);
  const entries = [...arrays].map(([name, a]) => f32(name, a));
  const name = preset.checkpoint;
  const written = writeTorchZip(join(dir, name), '256x256_clip_diffusion_art', entries, (t, s) => statePickle(t, s));
  return {
    id: 'art-unet-random', kind: 'diffusion', label: 'Art UNet 256² (random weights)', parameters: count(entries),
    files: [{ name, path: join(dir, name), role: 'weights', ...written }, writeText(dir, '256x256_clip_diffusion_art.yaml', CLIP_DIFFUSION_ART_YAML)],
  };
}

/**
 * ViT-B-16.pt as OpenAI ships it: a TorchScript archive, every floating tensor float16, plus the
 * int64 scalars input_resolution, context_length and vocab_size (shared/fixtures/README.md, clip_jit.pt).
 * logit_scale is ln(100), as trained CLIP ends up (clamped at 100).
 */
function writeClip(dir: string, vocab: { name: string; path: string; bytes: Uint8Array }): WrittenModel {
  const arrays = seededArrays(clipShapes(VIT_B16), 12);
  arrays.set('logit_scale', { shape: [], data: Float32Array.of(Math.log(100)) });
  const entries = [
    ...[...arrays].map(([name, a]) => f16(name, a)),
    i64('input_resolution', [], BigInt64Array.of(224n)), i64('context_length', [], BigInt64Array.of(77n)), i64('vocab_size', [], BigInt64Array.of(49408n)),
  ];
  const name = 'ViT-B-16.pt';
  const constants = new PickleWriter().proto(2).emptyTuple().stop().bytes();
  const extra = [{ name: 'ViT-B-16/constants.pkl', data: constants }, { name: 'ViT-B-16/code/__torch__/model.py', data: new TextEncoder().encode('class Model(Module): ...\n') }];
  const written = writeTorchZip(join(dir, name), 'ViT-B-16', entries, (t, s) => scriptModulePickle(t, s, 'multimodal.model CLIP'), extra);
  const vocabFile: WrittenFile = { name: vocab.name, path: vocab.path, role: 'config', size: vocab.bytes.byteLength, sha256: createHash('sha256').update(vocab.bytes).digest('hex') };
  return { id: 'clip-b16-random', kind: 'clip', label: 'CLIP ViT-B/16 (random weights)', parameters: count(entries), files: [{ name, path: join(dir, name), role: 'weights', ...written }, vocabFile] };
}

/**
 * The SwinIR-M real-SR ×4 .pth: `{'params_ema': state_dict}`, float32, with the buffers SwinIR
 * registers at its training size 64 (relative_position_index per block, attn_mask per shifted block).
 */
function writeSwinIRM(dir: string): WrittenModel {
  const arrays = seededArrays(expectedShapes(SWINIR_M), 13);
  const entries = [...arrays].map(([name, a]) => f32(name, a));
  const index = relativePositionIndex(SWINIR_M.windowSize);
  const ws = SWINIR_M.windowSize;
  const mask = shiftMask(windowGrid(64, 64, ws), Math.floor(ws / 2));
  SWINIR_M.shifted.forEach((stage, i) => stage.forEach((shifted, j) => {
    entries.push(i64(`${blockPrefix(i, j)}attn.relative_position_index`, [ws * ws, ws * ws], index));
    if (shifted) entries.push({ name: `${blockPrefix(i, j)}attn_mask`, cls: 'FloatStorage', shape: [64, ws * ws, ws * ws], bytes: bytesOf(mask) });
  }));
  const name = '003_realSR_BSRGAN_DFO_s64w8_SwinIR-M_x4_GAN.pth';
  const written = writeTorchZip(join(dir, name), 'archive', entries, (t, s) => statePickle(t, s, ['params_ema']));
  return { id: 'swinir-m-random', kind: 'swinir', label: 'SwinIR-M ×4 (random weights)', parameters: count(entries.filter((e) => !e.name.endsWith('attn_mask'))), files: [{ name, path: join(dir, name), role: 'weights', ...written }] };
}

/**
 * The full-size models in their original formats with seeded N(0, 1/fan-in) weights (norm weights
 * ≈ 1, small biases: activations stay finite), written to `dir` (never to the repository).
 * `vocab` is CLIP's BPE vocabulary, served as the CLIP entry's config file.
 */
export function writeFullSizeCheckpoints(dir: string, vocab: { name: string; path: string; bytes: Uint8Array }): WrittenModel[] {
  return [writeArtUnet(dir), writeClip(dir, vocab), writeSwinIRM(dir)];
}
