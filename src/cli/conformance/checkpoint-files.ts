import { numel, openCheckpoint, readTensorBytes } from '../../checkpoint/index';
import { exact, guard } from './results';
import type { CheckResult, GroupContext } from './types';

/** Files a manifest lists that hold weights (configs, vocabularies and JSON are not checkpoints). */
export const isCheckpointFile = (file: string): boolean => /\.(pt|pth|ckpt|bin|safetensors)$/i.test(file);

async function readsWhole(ctx: GroupContext, file: string): Promise<CheckResult> {
  return ctx.dir.withSource(ctx.path(file), async (source) => {
    const ck = await openCheckpoint(source);
    let bytes = 0;
    for (const t of ck.tensors.values()) bytes += (await readTensorBytes(t)).byteLength;
    const params = [...ck.tensors.values()].reduce((n, t) => n + numel(t.shape), 0);
    return exact(ctx.manifest.group, `reads ${file}`, 0, `${ck.format}, ${ck.tensors.size} tensors, ${params} elements, ${bytes} bytes`);
  });
}

/** The reference tensors file holds exactly the tensors, dtypes and shapes the manifest lists. */
async function referenceMatchesManifest(ctx: GroupContext, file: string): Promise<CheckResult> {
  return ctx.dir.withSource(ctx.path(file), async (source) => {
    const ck = await openCheckpoint(source);
    for (const t of ck.tensors.values()) await readTensorBytes(t);
    const listed = Object.entries(ctx.manifest.tensors);
    const wrong = listed.filter(([name, m]) => {
      const t = ck.tensors.get(name);
      return !t || t.dtype !== m.dtype || t.shape.length !== m.shape.length || t.shape.some((d, i) => d !== m.shape[i]);
    }).map(([name]) => name);
    const extra = [...ck.tensors.keys()].filter((name) => !Object.hasOwn(ctx.manifest.tensors, name));
    const problems = [...wrong.map((n) => `${n} differs or is missing`), ...extra.map((n) => `${n} not in manifest`)];
    return exact(ctx.manifest.group, `reference ${file} matches manifest`, problems.length, problems.length ? problems.slice(0, 5).join('; ') : `${listed.length} tensors`);
  });
}

/** Every checkpoint the manifest names reads completely, and so does its reference tensor file. */
export async function* checkpointFiles(ctx: GroupContext): AsyncIterable<CheckResult> {
  const { group, files, reference_file: reference } = ctx.manifest;
  for (const file of Object.keys(files).filter(isCheckpointFile)) yield await guard(group, `reads ${file}`, () => readsWhole(ctx, file));
  if (reference) yield await guard(group, `reference ${reference} matches manifest`, () => referenceMatchesManifest(ctx, reference));
}
