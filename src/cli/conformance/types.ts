import type { ByteSource } from '../../checkpoint/index';
import type { Runtime } from '../../runtime';

/** A fixture directory in the format of shared/fixtures/README.md, reached through whatever I/O the host has. */
export interface FixtureDir {
  /** Manifest paths (`<group>/<group>_ref.json`) relative to the directory. */
  listManifests(): Promise<string[]>;
  readText(path: string): Promise<string>;
  withSource<T>(path: string, work: (source: ByteSource) => Promise<T>): Promise<T>;
}

export interface ManifestTensor {
  readonly dtype: string;
  readonly shape: readonly number[];
}

/** The parts of a `<group>_ref.json` the runner relies on; groups read their own `settings`. */
export interface Manifest {
  readonly group: string;
  readonly reference_file?: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly files: Readonly<Record<string, string>>;
  readonly tensors: Readonly<Record<string, ManifestTensor>>;
  /** The generator's self-checks; some record upstream behaviour to match (e.g. a respacing it refuses). */
  readonly checks?: Readonly<Record<string, unknown>>;
}

/** One line of the report. `pass` is `maxAbs <= tolerance` (or `maxRel` when `on` is 'rel'). */
export interface CheckResult {
  readonly group: string;
  readonly name: string;
  readonly maxAbs: number;
  readonly maxRel: number;
  readonly tolerance: number;
  readonly on: 'abs' | 'rel';
  readonly pass: boolean;
  readonly detail?: string;
}

export interface GroupContext {
  readonly dir: FixtureDir;
  readonly manifest: Manifest;
  /** Where the models of the checks run. */
  readonly runtime: Runtime;
  /** Path of a file named in the manifest, relative to the fixture directory. */
  path(file: string): string;
}

/** A tensor, case or setting of a manifest the harness could not interpret, with what it could not read. */
export interface Uninterpreted {
  readonly what: string;
  readonly why: string;
}

/** A set of checks for one group; yields one result per check and never throws. */
export type CheckSuite = (ctx: GroupContext) => AsyncIterable<CheckResult>;
