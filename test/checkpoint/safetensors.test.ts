import { describe, expect, it } from 'vitest';
import { memorySource, openCheckpoint, readTensor, readTensorFloat32 } from '../../src/checkpoint/index';
import { readSafetensors } from '../../src/checkpoint/safetensors';
import { expectCheckpointError } from './helpers/expect-error';
import { safetensorsFile, writeSafetensors } from '../../src/checkpoint/safetensors-write';
import { f32Bytes, i64Bytes } from './helpers/torch-writer';

const good = (): Uint8Array => writeSafetensors([
  { name: 'a', dtype: 'F32', shape: [2, 2], data: f32Bytes([1, 2, 3, 4]) },
  { name: 'b', dtype: 'I64', shape: [1], data: i64Bytes([-9]) },
  { name: 'h', dtype: 'BF16', shape: [1], data: Uint8Array.from([0x80, 0x3f]) },
], { format: 'pt' });

const open = (bytes: Uint8Array) => openCheckpoint(memorySource(bytes));

const lying = (entry: unknown, dataBytes = 16): Uint8Array => safetensorsFile({ x: entry }, new Uint8Array(dataBytes));

describe('safetensors', () => {
  it('reads tensors and metadata', async () => {
    const ck = await open(good());
    expect(ck.format).toBe('safetensors');
    expect(ck.metadata).toEqual({ format: 'pt' });
    expect([...(await readTensorFloat32(ck.tensors.get('a')!))]).toEqual([1, 2, 3, 4]);
    expect([...(await readTensor(ck.tensors.get('b')!))]).toEqual([-9n]);
    expect([...(await readTensorFloat32(ck.tensors.get('h')!))]).toEqual([1]);
  });

  it.each([
    ['an unknown dtype', { dtype: 'F8_E4M3', shape: [16], data_offsets: [0, 16] }, "tensor 'x': unknown dtype \"F8_E4M3\""],
    ['a size that disagrees with its shape', { dtype: 'F32', shape: [5], data_offsets: [0, 16] }, "tensor 'x': data_offsets [0, 16] span 16 bytes but F32 [5] needs 20"],
    ['offsets past the data', { dtype: 'F32', shape: [8], data_offsets: [0, 32] }, "tensor 'x': data_offsets [0, 32] run past the 16-byte data section"],
    ['reversed offsets', { dtype: 'F32', shape: [1], data_offsets: [8, 4] }, 'data_offsets must be [begin, end] with 0 <= begin <= end'],
    ['a negative dimension', { dtype: 'F32', shape: [-4], data_offsets: [0, 16] }, 'shape must be a list of at most 64 non-negative integers'],
    ['a fractional offset', { dtype: 'U8', shape: [16], data_offsets: [0.5, 16.5] }, 'data_offsets must be [begin, end]'],
    ['a non-object entry', 42, "tensor 'x': header entry is not an object"],
  ])('rejects a header with %s', (_, entry, message) => expectCheckpointError(open(lying(entry)), message));

  it('rejects overlapping tensors and gaps', async () => {
    const data = new Uint8Array(16);
    await expectCheckpointError(open(safetensorsFile({
      a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
    }, data)), "tensor 'b' starts at data offset 8, expected 16 (overlaps the previous tensor)");
    await expectCheckpointError(open(safetensorsFile({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, data)), "tensor 'a' starts at data offset 8, expected 0 (gap)");
    await expectCheckpointError(open(safetensorsFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, data)), 'tensors cover 8 bytes but the data section holds 16');
  });

  it('rejects a header length that lies, bad JSON and bad metadata', async () => {
    const bytes = good();
    new DataView(bytes.buffer).setUint32(0, bytes.length, true);
    await expectCheckpointError(open(bytes), `header length ${bytes.length} runs past the ${bytes.length}-byte file (truncated)`);
    new DataView(bytes.buffer).setUint32(4, 0x10, true);
    await expectCheckpointError(readSafetensors(memorySource(bytes)), /header length \d+ exceeds the 100000000-byte limit/);
    await expectCheckpointError(open(safetensorsFile('{"a": ', new Uint8Array(0))), 'safetensors: header is not valid JSON');
    await expectCheckpointError(open(safetensorsFile('{"__metadata__": {"a": 1}}', new Uint8Array(0))), '__metadata__ must map strings to strings');
    await expectCheckpointError(open(safetensorsFile('{"__metadata__": {}} ', new Uint8Array(0)).map((b, i) => (i === 9 ? 0xff : b))), 'safetensors header is not valid UTF-8');
  });

  it('rejects truncation at every cut point', async () => {
    const bytes = good();
    for (let cut = 0; cut < bytes.length; cut++) {
      await expectCheckpointError(open(bytes.subarray(0, cut)), cut < 8 ? /too small/ : cut < 9 ? /unrecognised checkpoint format/ : /safetensors: .*(truncated|run past|cover)/);
    }
  });
});
