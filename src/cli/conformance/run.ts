import { COMMON_SUITES, MODEL_SUITES, PENDING, WEIGHT_SUITES } from './registry';
import { exact } from './results';
import type { CheckResult, CheckSuite, FixtureDir, Manifest } from './types';

export interface ConformanceSummary {
  readonly checks: number;
  readonly failed: number;
  /** 'unet (needs issue 5)', ...: groups present in the directory whose model checks cannot run yet. */
  readonly cannotRun: readonly string[];
}

function parseManifest(text: string, path: string): Manifest {
  const m = JSON.parse(text) as Partial<Manifest>;
  if (typeof m.group !== 'string') throw new Error(`${path} has no "group"`);
  return { settings: {}, files: {}, tensors: {}, ...m, group: m.group };
}

const folderOf = (path: string): string => (path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '');

/** Runs every check the manifests of `dir` describe, reporting each result as it completes. */
export async function runConformance(dir: FixtureDir, report: (r: CheckResult) => void): Promise<ConformanceSummary> {
  let checks = 0;
  let failed = 0;
  const cannotRun = new Set<string>();
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
    const ctx = { dir, manifest, path: (file: string) => folderOf(path) + file };
    const model = MODEL_SUITES[manifest.group];
    const suites: CheckSuite[] = [...COMMON_SUITES, ...[WEIGHT_SUITES[manifest.group], model].filter((s) => s !== undefined)];
    for (const suite of suites) for await (const r of suite(ctx)) emit(r);
    if (!model) cannotRun.add(`${manifest.group} (${PENDING[manifest.group] ? `needs issue ${PENDING[manifest.group]}` : 'no checks for this group'})`);
  }
  return { checks, failed, cannotRun: [...cannotRun] };
}
