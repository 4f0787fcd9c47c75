import { memorySource, openCheckpoint, readTensorBytes } from '../../src/checkpoint/index';
import type { FixtureDir, Manifest } from '../../src/cli/conformance/types';
import { writeSafetensors } from '../../src/checkpoint/safetensors-write';

/**
 * A group of the shared fixtures edited in memory, the way another fixture set from the same
 * generator would differ: runs renamed and re-parameterised (consistently: every tensor, its
 * manifest entry and the settings that describe it), tensors removed. Built from the public
 * references, never written to disk.
 */
export interface RefTensor {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

export interface EditableGroup {
  readonly manifest: Manifest & { settings: Record<string, unknown>; tensors: Record<string, { dtype: string; shape: readonly number[]; meaning?: string }> };
  readonly tensors: Map<string, RefTensor>;
}

export async function readGroup(dir: FixtureDir, group: string): Promise<EditableGroup> {
  const manifest = JSON.parse(await dir.readText(`${group}/${group}_ref.json`)) as EditableGroup['manifest'];
  const tensors = new Map<string, RefTensor>();
  await dir.withSource(`${group}/${manifest.reference_file}`, async (source) => {
    for (const [name, t] of (await openCheckpoint(source)).tensors) tensors.set(name, { dtype: t.dtype, shape: t.shape, bytes: (await readTensorBytes(t)).slice() });
  });
  return { manifest, tensors };
}

/** Sets (or with `undefined` removes) a tensor in the file and in the manifest together. */
export function setTensor(g: EditableGroup, name: string, t: RefTensor | undefined): void {
  if (!t) {
    g.tensors.delete(name);
    delete g.manifest.tensors[name];
    return;
  }
  g.tensors.set(name, t);
  g.manifest.tensors[name] = { dtype: t.dtype, shape: t.shape, meaning: g.manifest.tensors[name]?.meaning ?? 'relabelled' };
}

export const f32Tensor = (shape: readonly number[], data: Float32Array): RefTensor => ({ dtype: 'F32', shape, bytes: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) });

export function asF32(t: RefTensor): Float32Array {
  if (t.dtype !== 'F32') throw new Error(`expected F32, got ${t.dtype}`);
  return new Float32Array(t.bytes.buffer.slice(t.bytes.byteOffset, t.bytes.byteOffset + t.bytes.byteLength));
}

export function asF64(t: RefTensor): Float64Array {
  if (t.dtype !== 'F64') throw new Error(`expected F64, got ${t.dtype}`);
  return new Float64Array(t.bytes.buffer.slice(t.bytes.byteOffset, t.bytes.byteOffset + t.bytes.byteLength));
}

/** Rows [from, to) of a [rows, ...] tensor of any dtype. */
export function rows(t: RefTensor, from: number, to = t.shape[0]!): RefTensor {
  const per = t.bytes.length / t.shape[0]!;
  return { dtype: t.dtype, shape: [to - from, ...t.shape.slice(1)], bytes: t.bytes.slice(from * per, to * per) };
}

export function get(g: EditableGroup, name: string): RefTensor {
  const t = g.tensors.get(name);
  if (!t) throw new Error(`no tensor ${name} in the fixture`);
  return t;
}

/** `base` with the edited groups in place of their manifests and reference files. */
export function withGroups(base: FixtureDir, groups: Readonly<Record<string, EditableGroup>>): FixtureDir {
  const texts = new Map<string, string>();
  const files = new Map<string, Uint8Array>();
  for (const [group, g] of Object.entries(groups)) {
    texts.set(`${group}/${group}_ref.json`, JSON.stringify(g.manifest));
    files.set(`${group}/${g.manifest.reference_file}`, writeSafetensors([...g.tensors].map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape, data: t.bytes }))));
  }
  return {
    listManifests: () => base.listManifests(),
    readText: (path) => (texts.has(path) ? Promise.resolve(texts.get(path)!) : base.readText(path)),
    withSource: (path, work) => (files.has(path) ? work(memorySource(files.get(path)!)) : base.withSource(path, work)),
  };
}
