import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import {
  DTYPE_BYTES, numel, openCheckpoint, readHfClipAsOpenAI, readTensor, readTensorBytes, readTensorFloat32, type Checkpoint,
} from '../../src/checkpoint/index';
import { listTensor, type ListedTensor } from '../../src/cli/conformance/lpips-weights';
import { withFileSource } from '../../src/cli/file-source';
import { describeWithFixtures, fixturePath } from '../fixtures';
import { legacyBlocks, stridedCopy, zipEntries } from './helpers/independent';

const TORCH_FILES = ['unet/unet_A.pt', 'unet/unet_B.pt', 'unet/unet_C.pt', 'clip/clip_state_dict.pt', 'clip/clip_jit.pt', 'swinir/swinir_M.pth', 'swinir/swinir_L.pth'];
const SAFETENSORS_FILES = ['clip/hf/model.safetensors', 'unet/unet_ref.safetensors', 'clip/clip_ref.safetensors', 'swinir/swinir_ref.safetensors', 'diffusion/diffusion_ref.safetensors', 'guidance/guidance_ref.safetensors', 'cutouts/cutouts_ref.safetensors'];

const manifest = (group: string) => JSON.parse(readFileSync(fixturePath(group, `${group}_ref.json`), 'utf8')) as {
  settings: { configs: Record<string, { n_params: number; state_dict_keys: number }> };
  tensors: Record<string, { dtype: string; shape: number[] }>;
};

/** Bit-exact comparison (vitest's deep equality is far too slow for millions of elements). */
const sameBits = (a: Float32Array, b: Float32Array): boolean =>
  Buffer.compare(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), new Uint8Array(b.buffer, b.byteOffset, b.byteLength)) === 0;

interface LpipsListing {
  readonly file: string;
  readonly byte_ranges: { readonly storage_data: readonly [number, number] };
  readonly storage_keys_file_order: readonly string[];
  readonly storage_types: readonly string[];
  readonly tensor_storage_key: Readonly<Record<string, string>>;
  readonly tensors: readonly ListedTensor[];
}

/** The listing lpips_ref.json gives for one of its legacy files (`settings.checkpoint_listings` or `settings.upstream_lin_file`). */
function lpipsListing(file: string): LpipsListing {
  const { settings } = JSON.parse(readFileSync(fixturePath('lpips', 'lpips_ref.json'), 'utf8')) as {
    settings: { checkpoint_listings: Record<string, LpipsListing>; upstream_lin_file: LpipsListing };
  };
  const listing = [...Object.values(settings.checkpoint_listings), settings.upstream_lin_file].find((l) => l.file === file);
  if (!listing) throw new Error(`lpips_ref.json lists no ${file}`);
  return listing;
}

const LEGACY_FILES = ['vgg16_small_legacy.pth', 'lin_small_legacy.pth', 'vgg_v0.1_lin.pth'];

const openFile = async <T>(file: string, work: (ck: Checkpoint) => Promise<T>): Promise<T> =>
  withFileSource(fixturePath(file), async (source) => work(await openCheckpoint(source)));

describeWithFixtures('fixture checkpoints', () => {
  it.each(TORCH_FILES)('%s: every tensor equals an independent decoding of the zip', async (file) => {
    const records = zipEntries(readFileSync(fixturePath(file)));
    await openFile(file, async (ck) => {
      expect(ck.tensors.size).toBeGreaterThan(50);
      const used = new Set<string>();
      for (const [name, t] of ck.tensors) {
        const record = records.get(t.storage.key);
        expect(record, name).toBeDefined();
        used.add(t.storage.key);
        const expected = stridedCopy(record!, DTYPE_BYTES[t.dtype], t.shape, t.strides, t.offset);
        expect(Buffer.compare(await readTensorBytes(t), expected), name).toBe(0);
      }
      const storageRecords = [...records.keys()].filter((k) => /\/data\/\d+$/.test(k));
      expect(used.size).toBe(storageRecords.length);
    });
  });

  it.each(SAFETENSORS_FILES)('%s: every tensor equals an independent decoding of the header', async (file) => {
    const bytes = readFileSync(fixturePath(file));
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    await openFile(file, async (ck) => {
      expect(ck.tensors.size).toBe(Object.keys(header).filter((k) => k !== '__metadata__').length);
      for (const [name, t] of ck.tensors) {
        const h = header[name]!;
        expect([t.dtype, t.shape], name).toEqual([h.dtype, h.shape]);
        const expected = bytes.subarray(8 + headerLength + h.data_offsets[0], 8 + headerLength + h.data_offsets[1]);
        expect(Buffer.compare(await readTensorBytes(t), expected), name).toBe(0);
      }
    });
  });

  it.each(LEGACY_FILES)('lpips/%s: every tensor matches its listing in lpips_ref.json', async (file) => {
    const listing = lpipsListing(file);
    await openFile(`lpips/${file}`, async (ck) => {
      expect(ck.format).toBe('torch-legacy');
      const listed: ListedTensor[] = [];
      for (const [name, t] of ck.tensors) listed.push(await listTensor(name, t));
      expect(listed).toEqual(listing.tensors);
      expect(Object.fromEntries([...ck.tensors].map(([name, t]) => [name, t.storage.key]))).toEqual(listing.tensor_storage_key);
    });
  });

  it.each(LEGACY_FILES)('lpips/%s: every tensor equals an independent decoding of the data blocks', async (file) => {
    const listing = lpipsListing(file);
    expect(listing.storage_types).toEqual(['FloatStorage']);
    const blocks = legacyBlocks(readFileSync(fixturePath('lpips', file)), listing.byte_ranges.storage_data[0], listing.storage_keys_file_order, 4);
    await openFile(`lpips/${file}`, async (ck) => {
      for (const [name, t] of ck.tensors) {
        const expected = stridedCopy(blocks.get(t.storage.key)!, DTYPE_BYTES[t.dtype], t.shape, t.strides, t.offset);
        expect(Buffer.compare(await readTensorBytes(t), expected), name).toBe(0);
      }
    });
  });

  it('lpips: the legacy VGG16 trunk equals its zip copy, tensor by tensor', async () => {
    await openFile('lpips/vgg16_small_legacy.pth', (legacy) => openFile('lpips/vgg16_small_zip.pth', async (zip) => {
      expect([legacy.format, zip.format]).toEqual(['torch-legacy', 'torch']);
      expect([...legacy.tensors.keys()]).toEqual([...zip.tensors.keys()]);
      for (const [name, t] of legacy.tensors) {
        const other = zip.tensors.get(name)!;
        expect([t.dtype, t.shape], name).toEqual([other.dtype, other.shape]);
        expect(Buffer.compare(await readTensorBytes(t), await readTensorBytes(other)), name).toBe(0);
      }
    }));
  });

  it('reference tensor files hold what their manifests list', async () => {
    for (const group of ['unet', 'clip', 'swinir', 'diffusion', 'guidance', 'cutouts']) {
      const listed = manifest(group).tensors;
      await openFile(`${group}/${group}_ref.safetensors`, async (ck) => {
        expect(Object.fromEntries([...ck.tensors].map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape }]))).toEqual(
          Object.fromEntries(Object.entries(listed).map(([k, v]) => [k, { dtype: v.dtype, shape: v.shape }])),
        );
      });
    }
  });

  it('unet checkpoints have the parameter and key counts the manifest records', async () => {
    for (const [name, config] of Object.entries(manifest('unet').settings.configs)) {
      await openFile(`unet/unet_${name}.pt`, async (ck) => {
        expect([...ck.tensors.values()].reduce((n, t) => n + numel(t.shape), 0)).toBe(config.n_params);
        expect(ck.tensors.size).toBe(config.state_dict_keys);
      });
    }
  });

  it('clip: fp32 state dict, fp16 TorchScript and fp16 HF safetensors hold the same values, tensor by tensor', async () => {
    await openFile('clip/clip_state_dict.pt', (sd) => openFile('clip/clip_jit.pt', (jit) => openFile('clip/hf/model.safetensors', async (hf) => {
      expect([sd.format, jit.format, hf.format]).toEqual(['torch', 'torchscript', 'safetensors']);
      expect(sd.tensors.size).toBe(62);
      for (const [name, t] of sd.tensors) {
        const ref = await readTensorFloat32(t);
        const fromJit = jit.tensors.get(name)!;
        expect(fromJit.dtype, name).toBe('F16');
        expect(fromJit.shape, name).toEqual(t.shape);
        expect(sameBits(await readTensorFloat32(fromJit), ref), name).toBe(true);
        const fromHf = await readHfClipAsOpenAI(hf.tensors, name);
        expect(fromHf.shape, name).toEqual(t.shape);
        expect(sameBits(fromHf.data, ref), name).toBe(true);
      }
      const scalars = await Promise.all(['input_resolution', 'context_length', 'vocab_size'].map(async (k) => (await readTensor(jit.tensors.get(k)!))[0]));
      expect(scalars).toEqual([224n, 77n, 49408n]);
      expect(jit.constants.length).toBeGreaterThan(0);
    })));
  });

  it('swinir: the state dict sits under params_ema with its int64 index buffers', async () => {
    await openFile('swinir/swinir_M.pth', async (ck) => {
      expect(ck.unwrapped).toEqual(['params_ema']);
      const index = ck.tensors.get('layers.0.residual_group.blocks.0.attn.relative_position_index')!;
      expect([index.dtype, index.shape]).toEqual(['I64', [64, 64]]);
      const values = await readTensor(index);
      expect([values[0], values[1], values[8], values[4095]]).toEqual([112n, 111n, 97n, 112n]);
    });
  });
});
