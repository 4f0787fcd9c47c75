import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { run as convert } from '../../../src/cli/commands/convert';
import { run as upscale } from '../../../src/cli/commands/upscale';
import { rgbaToUnitChw, unitChwToRgba } from '../../../src/image/unit-chw';
import { createSwinIRUpscaler, crop, planarImage } from '../../../src/models/swinir';
import { decodePng, encodePng } from '../../../src/png';
import { hostTensor } from '../../../src/runtime';
import { describeWithFixtures, fixturePath } from '../../fixtures';
import { wasmRuntime } from '../../helpers/ort';
import { asImage, loadFixtureModel, ref, relativeError } from './fixture-data';

const dir = mkdtempSync(join(tmpdir(), 'swinir-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = () => vi.spyOn(console, 'log').mockImplementation(() => {});

describeWithFixtures('SwinIR command line', () => {
  it('upscale: PNG in, 4× PNG out, ×255 truncated from predict()', async () => {
    const [h, w] = [12, 20];
    const rgba = Uint8Array.from({ length: 4 * h * w }, (_, i) => (i % 4 === 3 ? 255 : (i * 37) % 256));
    writeFileSync(join(dir, 'in.png'), encodePng({ width: w, height: h, data: rgba }));
    quiet();
    const code = await upscale([join(dir, 'in.png'), '--sr_model_path', fixturePath('swinir', 'swinir_M.pth'), '--out', join(dir, 'out.png'), '--backend', 'wasm']);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    const out = decodePng(new Uint8Array(readFileSync(join(dir, 'out.png'))));
    expect([out.width, out.height]).toEqual([4 * w, 4 * h]);
    const upscaler = createSwinIRUpscaler(wasmRuntime(), await loadFixtureModel('M'));
    const expected = await upscaler.predict(planarImage(3, h, w, rgbaToUnitChw(rgba, h, w)));
    await upscaler.dispose();
    expect(Buffer.compare(Buffer.from(out.data), Buffer.from(unitChwToRgba(expected.data, 4 * h, 4 * w)))).toBe(0);
  });

  it('convert swinir --large_sr --tile 40: the ONNX file reproduces the fixture (L, 32×32 padded to 40)', async () => {
    quiet();
    const code = await convert(['swinir', '--checkpoint', fixturePath('swinir', 'swinir_L.pth'), '--large_sr', '--tile', '40', '--out', join(dir, 'L')]);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'L', 'model.json'), 'utf8')) as { kind: string; config: { resiConnection: string }; graphs: { inputs: { shape: number[] }[] }[] };
    expect([manifest.kind, manifest.config.resiConnection, manifest.graphs[0]!.inputs[0]!.shape]).toEqual(['swinir', '3conv', [1, 3, 40, 40]]);
    const session = await wasmRuntime().createSession(new Uint8Array(readFileSync(join(dir, 'L', 'swinir.onnx'))));
    const out = await session.run({ x: hostTensor('float32', [1, 3, 40, 40], (await ref('L.32x32.padded')).data) });
    await session.dispose();
    const cropped = crop(asImage({ shape: [3, 160, 160], data: out.y!.data as Float32Array }), 0, 0, 128, 128);
    expect(relativeError(cropped.data, (await ref('L.32x32.output')).data)).toBeLessThan(1e-4);
  });
});
