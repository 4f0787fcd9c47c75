import { CheckpointError } from '../errors';
import { checkRange, type ByteSource } from './byte-source';
import { DTYPE_BYTES, isDType } from './dtype';
import { LIMITS } from './limits';
import { contiguousStrides, makeTensor, numel, type Tensor } from './tensor';
import { decodeUtf8 } from './utf8';

export interface SafetensorsFile {
  readonly tensors: Map<string, Tensor>;
  readonly metadata: Record<string, string>;
}

interface Entry { readonly name: string; readonly tensor: Tensor; readonly begin: number; readonly end: number }

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseMetadata(value: unknown): Record<string, string> {
  if (!isRecord(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw new CheckpointError('safetensors: __metadata__ must map strings to strings');
  }
  return value as Record<string, string>;
}

function parseEntry(name: string, raw: unknown, source: ByteSource, dataStart: number): Entry {
  const where = `safetensors: tensor '${name}'`;
  if (!isRecord(raw)) throw new CheckpointError(`${where}: header entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = raw;
  if (typeof dtype !== 'string' || !isDType(dtype)) throw new CheckpointError(`${where}: unknown dtype ${JSON.stringify(dtype)?.slice(0, 40)}`);
  const isDims = Array.isArray(shape) && shape.length <= LIMITS.maxRank && shape.every((d) => Number.isSafeInteger(d) && d >= 0);
  if (!isDims) throw new CheckpointError(`${where}: shape must be a list of at most ${LIMITS.maxRank} non-negative integers`);
  const dims = shape as number[];
  const isRange = Array.isArray(offsets) && offsets.length === 2 && offsets.every((o) => Number.isSafeInteger(o) && o >= 0);
  if (!isRange || offsets[0] > offsets[1]) throw new CheckpointError(`${where}: data_offsets must be [begin, end] with 0 <= begin <= end`);
  const [begin, end] = offsets as [number, number];
  const bytes = numel(dims) * DTYPE_BYTES[dtype];
  if (end - begin !== bytes) {
    throw new CheckpointError(`${where}: data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dtype} [${dims.join(', ')}] needs ${bytes}`);
  }
  const dataSize = source.size - dataStart;
  if (end > dataSize) throw new CheckpointError(`${where}: data_offsets [${begin}, ${end}] run past the ${dataSize}-byte data section`);
  const storage = {
    key: name,
    byteLength: bytes,
    read: (offset: number, length: number) => {
      checkRange(bytes, offset, length, `safetensors: read inside '${name}'`);
      return source.read(dataStart + begin + offset, length);
    },
  };
  return { name, tensor: makeTensor(dtype, dims, contiguousStrides(dims), 0, storage), begin, end };
}

/** Like the format's reference reader: tensors tile the data section exactly, without gaps or overlap. */
function checkTiling(entries: Entry[], dataSize: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of sorted) {
    if (e.begin !== at) {
      throw new CheckpointError(`safetensors: tensor '${e.name}' starts at data offset ${e.begin}, expected ${at} (${e.begin < at ? 'overlaps the previous tensor' : 'gap'})`);
    }
    at = e.end;
  }
  if (at !== dataSize) throw new CheckpointError(`safetensors: tensors cover ${at} bytes but the data section holds ${dataSize}`);
}

async function readHeader(source: ByteSource): Promise<{ header: unknown; dataStart: number }> {
  checkRange(source.size, 0, 8, 'safetensors: header length');
  const lengthBytes = await source.read(0, 8);
  const v = new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 8);
  const length = v.getUint32(0, true) + v.getUint32(4, true) * 2 ** 32;
  if (length > LIMITS.maxSafetensorsHeaderBytes) throw new CheckpointError(`safetensors: header length ${length} exceeds the ${LIMITS.maxSafetensorsHeaderBytes}-byte limit`);
  if (8 + length > source.size) throw new CheckpointError(`safetensors: header length ${length} runs past the ${source.size}-byte file (truncated)`);
  const text = decodeUtf8(await source.read(8, length), 'safetensors header');
  try {
    return { header: JSON.parse(text) as unknown, dataStart: 8 + length };
  } catch (err) {
    throw new CheckpointError(`safetensors: header is not valid JSON (${(err as Error).message})`);
  }
}

export async function readSafetensors(source: ByteSource): Promise<SafetensorsFile> {
  const { header, dataStart } = await readHeader(source);
  if (!isRecord(header)) throw new CheckpointError('safetensors: header is not a JSON object');
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') metadata = parseMetadata(raw);
    else entries.push(parseEntry(name, raw, source, dataStart));
  }
  checkTiling(entries, source.size - dataStart);
  return { tensors: new Map(entries.map((e) => [e.name, e.tensor])), metadata };
}
