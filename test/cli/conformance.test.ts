import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeFixtureDir } from '../../src/cli/commands/conformance';
import { runConformance } from '../../src/cli/conformance/run';
import { backendChoiceOf, nodeRuntime } from '../../src/runtime/node';
import type { Runtime } from '../../src/runtime';
import type { CheckResult } from '../../src/cli/conformance/types';
import { writeSafetensors } from '../../src/checkpoint/safetensors-write';
import { f32Bytes, torchZip } from '../checkpoint/helpers/torch-writer';
import { describeWithFixtures, FIXTURES_DIR } from '../fixtures';
import { wasmRuntime } from '../helpers/ort';

const root = mkdtempSync(join(tmpdir(), 'conformance-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A one-group fixture directory in the shared format, with a UNet-like checkpoint of 58 parameters (1 channel). */
function makeDir(name: string, nParams: number, corrupt = false): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'unet'), { recursive: true });
  const ckpt = torchZip({
    storages: [{ key: '0', cls: 'FloatStorage', bytes: f32Bytes(Array.from({ length: 58 }, (_, i) => i)) }],
    tensors: [
      { name: 'time_embed.0.weight', storage: '0', shape: [4, 1] },
      { name: 'input_blocks.0.0.weight', storage: '0', shape: [1, 3, 3, 3], offset: 4 },
      { name: 'out.2.weight', storage: '0', shape: [3, 1, 3, 3], offset: 31 },
    ],
  });
  writeFileSync(join(dir, 'unet', 'unet_Z.pt'), corrupt ? ckpt.subarray(0, ckpt.length - 30) : ckpt);
  writeFileSync(join(dir, 'unet', 'unet_ref.safetensors'), writeSafetensors([{ name: 'Z.x', dtype: 'F32', shape: [2], data: f32Bytes([1, 2]) }]));
  writeFileSync(join(dir, 'unet', 'unet_ref.json'), JSON.stringify({
    group: 'unet', reference_file: 'unet_ref.safetensors', files: { 'unet_Z.pt': 'config Z', 'unet_Z.yaml': 'yaml' },
    settings: { configs: { Z: { n_params: nParams, state_dict_keys: 3, channel_mult_used: [1], num_classes: null, full_create_model_and_diffusion_kwargs: { num_channels: 1, learn_sigma: false } } } },
    tensors: { 'Z.x': { dtype: 'F32', shape: [2] } },
  }));
  return dir;
}

async function run(dir: string, runtime: Runtime = wasmRuntime()): Promise<{ results: CheckResult[]; failed: number; unknown: readonly string[] }> {
  const results: CheckResult[] = [];
  const summary = await runConformance(nodeFixtureDir(dir), runtime, (r) => results.push(r));
  return { results, ...summary };
}

const line = (results: CheckResult[], name: string) => results.find((r) => r.name.includes(name));

describe('conformance runner on any directory in the fixture format', () => {
  it('reads the checkpoints a manifest names and reports model groups it cannot run yet', async () => {
    const { results, failed, unknown } = await run(makeDir('good', 58));
    expect(line(results, 'reads unet_Z.pt')?.pass).toBe(true);
    expect(line(results, 'reference unet_ref.safetensors matches manifest')?.pass).toBe(true);
    expect(line(results, 'parameter count')).toMatchObject({ pass: true, maxAbs: 0 });
    // The UNet model suite runs too, and fails on this 1-channel stand-in (no yaml, not a real UNet).
    expect(results.filter((r) => !r.pass).map((r) => r.name)).toEqual(['Z: model matches references']);
    expect(failed).toBe(1);
    expect(unknown).toEqual([]);
  });

  it('says so when a group\'s model suite finds no case it can check, and names groups no suite knows', async () => {
    const dir = join(root, 'empty');
    mkdirSync(join(dir, 'swinir'), { recursive: true });
    mkdirSync(join(dir, 'upsampler'), { recursive: true });
    writeFileSync(join(dir, 'swinir', 'swinir_ref.json'), JSON.stringify({ group: 'swinir', settings: { configs: {} }, files: {}, tensors: {} }));
    writeFileSync(join(dir, 'upsampler', 'upsampler_ref.json'), JSON.stringify({ group: 'upsampler', settings: {}, files: {}, tensors: {} }));
    const { results, failed, unknown } = await run(dir);
    expect(results).toEqual([expect.objectContaining({ group: 'swinir', name: 'model checks', pass: false, detail: 'no checks ran: nothing in swinir/swinir_ref.json was recognised as a case' })]);
    expect(failed).toBe(1);
    expect(unknown).toEqual(['upsampler']);
  });

  it('fails a parameter count that disagrees with the manifest, by how much', async () => {
    const { results, failed } = await run(makeDir('wrong-count', 60));
    expect(line(results, 'parameter count')).toMatchObject({ pass: false, maxAbs: 2, detail: '58 vs 60' });
    expect(failed).toBe(2); // and the UNet model suite on the stand-in, as above
  });

  it('reports an unreadable checkpoint as a failed check, not a crash', async () => {
    const { results } = await run(makeDir('truncated', 58, true));
    const read = line(results, 'reads unet_Z.pt')!;
    expect(read.pass).toBe(false);
    expect(read.detail).toMatch(/^CheckpointError: zip: /);
  });
});

// CI's conformance run, on the browser's fallback runtime and on the CLI's native one (2 threads: CI's cores).
describeWithFixtures('conformance runner on the shared fixtures', () => {
  it.each(['wasm', 'native'] as const)('passes every check on %s', async (backend) => {
    const runtime = nodeRuntime({ backend, threads: 2 });
    expect(backendChoiceOf(runtime.backend)).toBe(backend);
    const { results, failed, unknown } = await run(FIXTURES_DIR, runtime);
    expect(results.length).toBeGreaterThanOrEqual(40);
    expect(results.filter((r) => !r.pass).map((r) => `${r.name}: ${r.detail}`)).toEqual([]);
    expect(failed).toBe(0);
    // Training: TrainLoop's schedule, its torch-format files (sizes to the byte, a saved file rewritten byte for byte) and a resume from them.
    expect(results.filter((r) => r.group === 'train' && (/same \d+ bytes|resumed from|progress\.csv/).test(r.name)).map((r) => r.pass)).toEqual([true, true, true, true, true]);
    // CLIP ResNets: both configs from their state dict and TorchScript files, through the guidance gradient.
    expect(results.filter((r) => r.group === 'clip_rn' && r.name.endsWith(': guidance.grad'))).toHaveLength(4);
    // LPIPS: each trunk file (legacy, zip) through every case, the init-term gradient row by row.
    expect(results.filter((r) => r.group === 'lpips' && /\.grad row \d/.test(r.name))).toHaveLength(8);
    expect(unknown).toEqual([]);
    // Every other group's model checks, the guidance e2e sampler run (45 guided steps) included.
  }, 240_000);
});
