import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalJson, graphSourceKey } from '../cache/index';
import { defaultGraphBytes, graphOptions, type GraphBytes, type GraphSpec } from '../pipeline/index';

/** SHA-256 of a file, streamed. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Which checkpoint a graph is made from, and what else changes it (configuration, architecture). */
export interface GraphOrigin {
  readonly sha256: string;
  readonly size: number;
  readonly options: unknown;
}

/**
 * Converted graphs on disk, keyed as src/cache's graph cache keys them: the source (`sha256:<hex>`)
 * and the canonical JSON of the converter options (here the graph spec plus the origin's options),
 * hashed into a file name. A different checkpoint, spec or option is a different file.
 */
export function fsGraphStore(dir: string, originOf: (spec: GraphSpec) => GraphOrigin, log?: (line: string) => void): GraphBytes {
  return async (spec, build) => {
    const origin = originOf(spec);
    const source = graphSourceKey({ url: 'file:', size: origin.size, sha256: origin.sha256 });
    const key = createHash('sha256').update(`${source}\n${canonicalJson({ spec: graphOptions(spec), options: origin.options })}`).digest('hex');
    const path = join(dir, `${spec.kind}-${key.slice(0, 32)}.onnx`);
    const cached = await readFile(path).catch(() => undefined);
    if (cached) return new Uint8Array(cached.buffer, cached.byteOffset, cached.byteLength);
    const t0 = Date.now();
    const bytes = await defaultGraphBytes(spec, build);
    await mkdir(dir, { recursive: true });
    await writeFile(`${path}.part`, bytes);
    await rename(`${path}.part`, path);
    log?.(`converted ${spec.kind} graph in ${((Date.now() - t0) / 1000).toFixed(1)} s → ${path}`);
    return bytes;
  };
}
