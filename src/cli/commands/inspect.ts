import { numel, openCheckpoint, tensorByteLength, type Checkpoint } from '../../checkpoint/index';
import { withFileSource } from '../file-source';

export const summary = 'list the tensors of a checkpoint (.pt/.pth torch, zip or legacy, or TorchScript; .safetensors)';
export const usage = 'npm run cli -- inspect <file> [--json]';

interface Row { name: string; dtype: string; shape: number[]; bytes: number }

function describe(file: string, ck: Checkpoint) {
  const tensors: Row[] = [...ck.tensors].map(([name, t]) => ({ name, dtype: t.dtype, shape: [...t.shape], bytes: tensorByteLength(t) }));
  const byDtype: Record<string, number> = {};
  for (const [, t] of ck.tensors) byDtype[t.dtype] = (byDtype[t.dtype] ?? 0) + numel(t.shape);
  return {
    file, format: ck.format, unwrapped: ck.unwrapped, metadata: ck.metadata,
    tensorCount: tensors.length,
    parameterCount: [...ck.tensors.values()].reduce((n, t) => n + numel(t.shape), 0),
    elementsByDtype: byDtype,
    totalBytes: tensors.reduce((n, t) => n + t.bytes, 0),
    tensors,
  };
}

function printTable(info: ReturnType<typeof describe>): void {
  const width = Math.max(4, ...info.tensors.map((t) => t.name.length));
  console.log(`${info.file}: ${info.format}${info.unwrapped.length ? ` (unwrapped: ${info.unwrapped.join(' > ')})` : ''}`);
  console.log(`${'name'.padEnd(width)}  dtype  ${'shape'.padEnd(20)} bytes`);
  for (const t of info.tensors) console.log(`${t.name.padEnd(width)}  ${t.dtype.padEnd(5)}  ${`[${t.shape.join(', ')}]`.padEnd(20)} ${t.bytes}`);
  const dtypes = Object.entries(info.elementsByDtype).map(([d, n]) => `${d} ${n}`).join(', ');
  console.log(`${info.tensorCount} tensors, ${info.parameterCount} parameters (${dtypes}), ${info.totalBytes} bytes`);
}

export async function run(args: readonly string[]): Promise<number> {
  const json = args.includes('--json');
  const files = args.filter((a) => a !== '--json');
  if (files.length !== 1) {
    console.error(`usage: ${usage}`);
    return 2;
  }
  const file = files[0]!;
  const info = await withFileSource(file, async (source) => describe(file, await openCheckpoint(source)));
  if (json) console.log(JSON.stringify(info, null, 2));
  else printTable(info);
  return 0;
}
