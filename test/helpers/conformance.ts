import { nodeFixtureDir } from '../../src/cli/commands/conformance';
import type { FixtureDir, GroupContext, Manifest } from '../../src/cli/conformance/types';
import { FIXTURES_DIR } from '../fixtures';
import { wasmRuntime } from './ort';

/** A conformance suite's context for one group of the shared fixtures (or of `dir`, e.g. a relabelled copy), on the wasm EP. */
export async function groupContext(group: string, dir: FixtureDir = nodeFixtureDir(FIXTURES_DIR)): Promise<GroupContext> {
  const path = `${group}/${group}_ref.json`;
  const manifest = JSON.parse(await dir.readText(path)) as Manifest;
  return { dir, manifest, runtime: wasmRuntime(), path: (file) => `${group}/${file}` };
}
