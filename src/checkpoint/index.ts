import { CheckpointError } from '../errors';
import type { ByteSource } from './byte-source';
import { readSafetensors } from './safetensors';
import type { PyValue } from './pickle-values';
import type { Tensor } from './tensor';
import { readTorchArchive } from './torch';
import { readTorchLegacy } from './torch-legacy';
import { isTensor } from './torch-globals';
import { findStateDict, type ModuleMetadata } from './unwrap';
import { openZip } from './zip';

export { blobSource, memorySource, type BlobLike, type ByteSource } from './byte-source';
export { DTYPE_BYTES, TORCH_DTYPE_NAMES, bfloat16ToFloat32, halfToFloat32, isFloating, type DType, type TypedArrayOf } from './dtype';
export {
  isContiguous, numel, readTensor, readTensorBytes, readTensorFloat32, tensorByteLength, type Storage, type Tensor,
} from './tensor';
export { hfClipSource, readHfClipAsOpenAI } from './hf-clip';
export { writeSafetensors } from './safetensors-write';
export type { PyValue } from './pickle-values';
export { isDict, isList, isTuple } from './pickle-values';
export { isTensor } from './torch-globals';
export type { ModuleMetadata } from './unwrap';
export { pyFloat, pyTuple, orderedDict, type Picklable } from './pickle-write';
export { torchSaveParts, type TensorForm, type TensorWriter } from './torch-save';

/** 'torch': torch.save zip archives (torch >= 1.6); 'torch-legacy': the format torch.save wrote before. */
export type CheckpointFormat = 'torch' | 'torch-legacy' | 'torchscript' | 'safetensors';

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
  /** torch state dicts: the module tree's `_metadata`, which a fine-tune's saves carry over. */
  readonly moduleMetadata?: ModuleMetadata;
}

/** torch.save's tar format (the earliest PyTorch releases) has a POSIX tar header: 'ustar' at byte 257. */
const isTar = (head: Uint8Array): boolean => [0x75, 0x73, 0x74, 0x61, 0x72].every((b, i) => head[257 + i] === b);

/** torch's magic number 0x1950a86a20f9469cfc6c as LONG1: the first value torch.save wrote before 1.6. */
const LEGACY_MAGIC = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

const startsWith = (bytes: Uint8Array, prefix: readonly number[]): boolean => prefix.every((b, i) => bytes[i] === b);

/**
 * PROTO, a FRAME when the pickle protocol is 4 or more, then the magic number, as far as the file
 * goes: a file cut inside it is still told apart, and its reader says where it ends.
 */
function isLegacyTorch(head: Uint8Array): boolean {
  const magic = head.subarray(head[2] === 0x95 ? 11 : 2);
  return head[0] === 0x80 && magic.length >= 4 && LEGACY_MAGIC.every((b, i) => i >= magic.length || magic[i] === b);
}

/** An 8-byte length below 4 GiB then '{'; the length is checked against the file by the reader, which says "truncated". */
function looksLikeSafetensors(head: Uint8Array): boolean {
  if (head.length < 9) return false;
  return head[8] === 0x7b && new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(4, true) === 0;
}

/** A checkpoint whose state dict is found in what its pickle held. */
function pickledCheckpoint(format: CheckpointFormat, root: PyValue, constants: readonly Tensor[] = []): Checkpoint {
  const sd = findStateDict(root);
  return { format, tensors: sd.tensors, unwrapped: sd.unwrapped, metadata: {}, constants, ...(sd.moduleMetadata && { moduleMetadata: sd.moduleMetadata }) };
}

/** What a torch.save zip archive holds, as plain data with lazy tensors (an optimizer's state_dict, say): no state dict is looked for. */
export async function openTorchObject(source: ByteSource): Promise<PyValue> {
  const archive = await readTorchArchive(await openZip(source));
  if (archive.isTorchScript) throw new CheckpointError('this is a TorchScript archive, not a torch.save file');
  return archive.root;
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
    const constants = Array.isArray(archive.constants) ? archive.constants.filter(isTensor) : [];
    return pickledCheckpoint(archive.isTorchScript ? 'torchscript' : 'torch', archive.root, constants);
  }
  if (isLegacyTorch(head)) return pickledCheckpoint('torch-legacy', await readTorchLegacy(source));
  if (isTar(head)) {
    throw new CheckpointError("this is torch.save's tar format, from the earliest PyTorch releases, which is not supported: re-save it with a current PyTorch: torch.save(torch.load('in.pt'), 'out.pt')");
  }
  if (looksLikeSafetensors(head)) {
    const file = await readSafetensors(source);
    return { format: 'safetensors', tensors: file.tensors, unwrapped: [], metadata: file.metadata, constants: [] };
  }
  const hex = [...head.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new CheckpointError(`unrecognised checkpoint format (first bytes ${hex}): expected a PyTorch zip or legacy file, a TorchScript archive or safetensors`);
}
