import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { nodeFixtureDir } from '../../src/cli/commands/conformance';
import { run as inspect } from '../../src/cli/commands/inspect';
import { runConformance } from '../../src/cli/conformance/run';
import type { CheckResult } from '../../src/cli/conformance/types';
import { legacyTorchFile } from '../checkpoint/helpers/legacy-writer';
import { writeSafetensors } from '../../src/checkpoint/safetensors-write';
import { f32Bytes } from '../checkpoint/helpers/torch-writer';
import { wasmRuntime } from '../helpers/ort';

const root = mkdtempSync(join(tmpdir(), 'legacy-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const values = [0.5, -1.25, 3, 4, 5, 6];
const lin = legacyTorchFile({
  storages: [{ key: '1855068736', cls: 'FloatStorage', bytes: f32Bytes(values) }],
  tensors: [{ name: 'lin0.model.1.weight', storage: '1855068736', shape: [1, 6, 1, 1] }],
  style: { python2: true, location: 'cuda:0' },
});
// Worked out apart from the reader: Node's own SHA-256 of the float32 bytes.
const listed = { name: 'lin0.model.1.weight', dtype: 'float32', shape: [1, 6, 1, 1], sha256: createHash('sha256').update(f32Bytes(values)).digest('hex'), first4: values.slice(0, 4) };

describe('cli on legacy torch files', () => {
  it('inspect lists a legacy file as torch-legacy', async () => {
    const file = join(root, 'vgg.pth');
    writeFileSync(file, lin);
    const logs: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void logs.push(line));
    try {
      expect(await inspect([file])).toBe(0);
      expect(logs[0]).toBe(`${file}: torch-legacy`);
      expect(logs.some((l) => /^lin0\.model\.1\.weight\s+F32\s+\[1, 6, 1, 1\]\s+24$/.test(l))).toBe(true);
    } finally {
      vi.restoreAllMocks();
    }
  });

  it("the lpips weights suite checks each listed file, one line per file, and names what differs", async () => {
    const dir = join(root, 'fixtures');
    mkdirSync(join(dir, 'lpips'), { recursive: true });
    writeFileSync(join(dir, 'lpips', 'lin.pth'), lin);
    writeFileSync(join(dir, 'lpips', 'other.pth'), lin);
    writeFileSync(join(dir, 'lpips', 'lpips_ref.safetensors'), writeSafetensors([{ name: 'x', dtype: 'F32', shape: [1], data: f32Bytes([1]) }]));
    writeFileSync(join(dir, 'lpips', 'lpips_ref.json'), JSON.stringify({
      group: 'lpips', reference_file: 'lpips_ref.safetensors', files: { 'lin.pth': 'ours', 'other.pth': 'upstream' },
      settings: {
        checkpoint_listings: { 'lin.pth': { file: 'lin.pth', tensors: [listed] } },
        upstream_lin_file: { file: 'other.pth', tensors: [{ ...listed, shape: [6], first4: [0.5, -1.25, 3, 4.5] }] },
      },
      tensors: { x: { dtype: 'F32', shape: [1] } },
    }));
    const results: CheckResult[] = [];
    await runConformance(nodeFixtureDir(dir), wasmRuntime(), (r) => results.push(r));
    const line = (name: string) => results.find((r) => r.name === name);
    expect(line('reads lin.pth')?.detail).toBe('torch-legacy, 1 tensors, 6 elements, 24 bytes');
    expect(line('lin.pth: tensors = listing')).toMatchObject({ pass: true, detail: 'torch-legacy, 1 tensors: names, dtypes, shapes, sha256, first values' });
    expect(line('other.pth: tensors = listing')).toMatchObject({
      pass: false, maxAbs: 1, detail: 'lin0.model.1.weight: shape [1,6,1,1] != [6], first4 [0.5,-1.25,3,4] != [0.5,-1.25,3,4.5]',
    });
  });
});
