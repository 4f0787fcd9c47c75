import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatResult } from '../conformance/results';
import { runConformance } from '../conformance/run';
import type { FixtureDir } from '../conformance/types';
import { withFileSource } from '../file-source';
import { describeNodeBackend, nodeRuntime } from '../../runtime/node';
import { BACKEND_USAGE, parseBackendArgs } from '../backend-args';

export const summary = 'run every check the manifests (*_ref.json) of a fixture directory describe';
export const usage = `npm run cli -- conformance <fixture-dir> [${BACKEND_USAGE}]`;

/** Manifests sit in group folders (`unet/unet_ref.json`); a manifest at the top level is accepted too. */
async function listManifests(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of (await readdir(root)).sort()) {
    if (name.endsWith('_ref.json')) found.push(name);
    else if ((await stat(join(root, name))).isDirectory()) {
      for (const inner of (await readdir(join(root, name))).sort()) if (inner.endsWith('_ref.json')) found.push(`${name}/${inner}`);
    }
  }
  return found;
}

export function nodeFixtureDir(root: string): FixtureDir {
  return {
    listManifests: () => listManifests(root),
    readText: (path) => readFile(join(root, path), 'utf8'),
    withSource: (path, work) => withFileSource(join(root, path), work),
  };
}

export async function run(args: readonly string[]): Promise<number> {
  const { options, rest } = parseBackendArgs(args);
  if (rest.length !== 1) {
    console.error(`usage: ${usage}`);
    return 2;
  }
  const dir = rest[0]!;
  const runtime = nodeRuntime(options);
  console.log(`backend: ${describeNodeBackend(runtime.backend)}`);
  const result = await runConformance(nodeFixtureDir(dir), runtime, (r) => console.log(formatResult(r)));
  if (result.checks === 0) console.log(`no manifests (*_ref.json) found under ${dir}`);
  console.log(`\n${result.checks} checks, ${result.checks - result.failed} passed, ${result.failed} failed`);
  for (const group of result.unknown) console.log(`no checks for group '${group}': its model checks cannot run`);
  return result.failed > 0 || result.unknown.length > 0 || result.checks === 0 ? 1 : 0;
}
