import { sourcesOf, type ModelEntry, type ModelKind, type ModelManifest, type ModelStatus } from '../cache';

const KINDS: readonly ModelKind[] = ['diffusion', 'clip', 'swinir'];

/**
 * What the seed's defaults need from a manifest: its first diffusion model, CLIP and SwinIR (the
 * built-in manifest lists the art UNet, ViT-B/16 and SwinIR-M first), original checkpoints before a
 * pack's converted ones, all of one format as the worker runs them.
 */
export function seedModels(manifest: ModelManifest | undefined): ModelEntry[] {
  const models = manifest?.models ?? [];
  for (const format of ['checkpoint', 'onnx'] as const) {
    const picked = KINDS.map((kind) => models.find((m) => m.kind === kind && m.format === format));
    if (picked[0] && picked[1]) return picked.filter((m): m is ModelEntry => m !== undefined);
  }
  return [];
}

/** Bytes to download, from each file's first source; files whose size nobody publishes are counted apart. */
export function downloadSize(models: readonly ModelEntry[]): { readonly bytes: number; readonly unknownFiles: number } {
  const files = [...new Map(models.flatMap((m) => m.files).map((f) => [f.url, f])).values()];
  const sizes = files.map((f) => sourcesOf(f)[0]?.size);
  return { bytes: sizes.reduce((n: number, s) => n + (s ?? 0), 0), unknownFiles: sizes.filter((s) => s === undefined).length };
}

export interface Aggregate {
  readonly bytesDone: number;
  /** Known when every file's size is (from its server or the manifest). */
  readonly totalBytes: number | undefined;
  readonly fraction: number | undefined;
  readonly bytesPerSecond: number;
  readonly etaSeconds: number | undefined;
}

/**
 * One progress over several models' files: each file's bytes from its latest progress event this
 * session (`fileBytes`, by URL) or else from the cache's state; the speed of the transfers running now.
 */
export function aggregateProgress(
  models: readonly ModelEntry[], statuses: Readonly<Record<string, ModelStatus>>, fileBytes: Readonly<Record<string, number>>, speeds: readonly number[],
): Aggregate {
  const files = models.flatMap((m) => (statuses[m.id]?.files ?? []).map((f) => ({ ...f, size: f.totalBytes ?? m.files.find((g) => g.url === f.url)?.size })));
  const bytesDone = files.reduce((n, f) => n + Math.max(fileBytes[f.url] ?? 0, f.bytesDone), 0);
  const known = files.length > 0 && files.every((f) => f.size !== undefined);
  const totalBytes = known ? files.reduce((n, f) => n + f.size!, 0) : undefined;
  const bytesPerSecond = speeds.reduce((n, s) => n + s, 0);
  const left = totalBytes !== undefined ? Math.max(0, totalBytes - bytesDone) : undefined;
  return {
    bytesDone, totalBytes, bytesPerSecond,
    fraction: totalBytes ? Math.min(1, bytesDone / totalBytes) : undefined,
    etaSeconds: left !== undefined && bytesPerSecond > 0 ? left / bytesPerSecond : undefined,
  };
}
