import type { Runtime } from '../../runtime';
import { COMMON_SUITES, MODEL_SUITES, WEIGHT_SUITES } from './registry';
import { exact } from './results';
import type { CheckResult, CheckSuite, FixtureDir, Manifest } from './types';

export interface ConformanceSummary {
  readonly checks: number;
  readonly failed: number;
  /** Groups present that no suite knows: their model checks cannot run at all. */
  readonly unknown: readonly string[];
}

function parseManifest(text: string, path: string): Manifest {
  const m = JSON.parse(text) as Partial<Manifest>;
  if (typeof m.group !== 'string') throw new Error(`${path} has no "group"`);
  return { settings: {}, files: {}, tensors: {}, ...m, group: m.group };
}

const folderOf = (path: string): string => (path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '');

/** Runs every check the manifests of `dir` describe on `runtime`, reporting each result as it completes. */
export async function runConformance(dir: FixtureDir, runtime: Runtime, report: (r: CheckResult) => void): Promise<ConformanceSummary> {
  let checks = 0;
  let failed = 0;
  const unknown = new Set<string>();
  const emit = (r: CheckResult) => {
    checks++;
    if (!r.pass) failed++;
    report(r);
  };
  for (const path of await dir.listManifests()) {
    let manifest: Manifest;
    try {
      manifest = parseManifest(await dir.readText(path), path);
    } catch (err) {
      emit(exact('?', `manifest ${path} parses`, Infinity, (err as Error).message));
      continue;
    }
    const ctx = { dir, manifest, runtime, path: (file: string) => folderOf(path) + file };
    for (const suite of [...COMMON_SUITES, WEIGHT_SUITES[manifest.group]].filter((s): s is CheckSuite => s !== undefined)) for await (const r of suite(ctx)) emit(r);
    const model = MODEL_SUITES[manifest.group];
    if (!model) {
      unknown.add(manifest.group);
      continue;
    }
    let ran = 0;
    for await (const r of model(ctx)) {
      ran++;
      emit(r);
    }
    // A suite that found nothing it could check must not read as a pass.
    if (ran === 0) emit(exact(manifest.group, 'model checks', Infinity, `no checks ran: nothing in ${path} was recognised as a case`));
  }
  return { checks, failed, unknown: [...unknown] };
}
