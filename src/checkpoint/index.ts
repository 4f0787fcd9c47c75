import { CheckpointError } from '../errors';
import type { ByteSource } from './byte-source';
import { readSafetensors } from './safetensors';
import type { Tensor } from './tensor';
import { readTorchArchive } from './torch';
import { isTensor } from './torch-globals';
import { findStateDict } from './unwrap';
import { openZip } from './zip';

export { blobSource, memorySource, type BlobLike, type ByteSource } from './byte-source';
export { DTYPE_BYTES, bfloat16ToFloat32, halfToFloat32, isFloating, type DType, type TypedArrayOf } from './dtype';
export {
  isContiguous, numel, readTensor, readTensorBytes, readTensorFloat32, tensorByteLength, type Storage, type Tensor,
} from './tensor';
export { hfClipSource, readHfClipAsOpenAI } from './hf-clip';
export type { PyValue } from './pickle-values';

export type CheckpointFormat = 'torch' | 'torchscript' | 'safetensors';

export interface Checkpoint {
  readonly format: CheckpointFormat;
  /** The state dict: `model.state_dict()` names to tensors, in file order. Nothing is read yet. */
  readonly tensors: ReadonlyMap<string, Tensor>;
  /** Wrapper keys descended into ('params_ema', ...) and 'module.' when that prefix was stripped. */
  readonly unwrapped: readonly string[];
  /** safetensors `__metadata__`; empty for torch files. */
  readonly metadata: Readonly<Record<string, string>>;
  /** TorchScript only: the tensors of constants.pkl (traced constants such as attention masks). */
  readonly constants: readonly Tensor[];
}

const LEGACY_ADVICE = "re-save it with a current PyTorch: torch.save(torch.load('in.pt', weights_only=True), 'out.pt', _use_new_zipfile_serialization=True)";

/** torch.save before 1.6 began with a pickled magic number 0x1950a86a20f9469cfc6c. */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

const startsWith = (bytes: Uint8Array, prefix: readonly number[]): boolean => prefix.every((b, i) => bytes[i] === b);

function isLegacy(head: Uint8Array): boolean {
  const tar = [0x75, 0x73, 0x74, 0x61, 0x72].every((b, i) => head[257 + i] === b);
  return tar || startsWith(head, LEGACY_MAGIC);
}

/** An 8-byte length below 4 GiB then '{'; the length is checked against the file by the reader, which says "truncated". */
function looksLikeSafetensors(head: Uint8Array): boolean {
  if (head.length < 9) return false;
  return head[8] === 0x7b && new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(4, true) === 0;
}

/**
 * Opens a checkpoint of any supported format (sniffed from its first bytes, never from its name)
 * and finds its state dict. Tensor data is not read: call `readTensor*` per tensor.
 */
export async function openCheckpoint(source: ByteSource): Promise<Checkpoint> {
  if (source.size < 8) throw new CheckpointError(`file of ${source.size} bytes is too small to be a checkpoint`);
  const head = await source.read(0, Math.min(source.size, 512));
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) {
    const archive = await readTorchArchive(await openZip(source));
    const sd = findStateDict(archive.root);
    const constants = Array.isArray(archive.constants) ? archive.constants.filter(isTensor) : [];
    return { format: archive.isTorchScript ? 'torchscript' : 'torch', tensors: sd.tensors, unwrapped: sd.unwrapped, metadata: {}, constants };
  }
  if (isLegacy(head)) throw new CheckpointError(`this is the legacy (pre-1.6, non-zip) torch.save format, which is not supported: ${LEGACY_ADVICE}`);
  if (looksLikeSafetensors(head)) {
    const file = await readSafetensors(source);
    return { format: 'safetensors', tensors: file.tensors, unwrapped: [], metadata: file.metadata, constants: [] };
  }
  const hex = [...head.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new CheckpointError(`unrecognised checkpoint format (first bytes ${hex}): expected a PyTorch zip archive, a TorchScript archive or safetensors`);
}
