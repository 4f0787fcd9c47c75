import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGradComposite } from '../helpers/composite-models';
import { maxAbsDiff } from '../helpers/ort';
import { openStudio, serveApp, type Studio } from './browser';
import { runInPage } from './ort-page';

let server: PreviewServer;
let studio: Studio;

beforeAll(async () => {
  let url: string;
  ({ server, url } = await serveApp());
  studio = await openStudio(url, { webgpu: true });
});
afterAll(async () => {
  await studio?.close();
  await server?.close();
});

describe('exported gradient graph on the WebGPU EP', () => {
  it('runs every node on WebGPU and matches the wasm EP', async () => {
    const { model, feeds } = buildGradComposite();
    const gpu = await runInPage(studio.page, model, feeds, 'webgpu');
    const cpu = await runInPage(studio.page, model, feeds, 'wasm');
    expect(gpu.placement.join('\n')).toMatch(/All nodes placed on \[WebGpuExecutionProvider\]/);
    for (const name of ['y', 'dx']) {
      const scale = Math.max(...cpu.outputs[name]!.map(Math.abs));
      expect(scale).toBeGreaterThan(0.1);
      expect(maxAbsDiff(gpu.outputs[name]!, cpu.outputs[name]!) / scale).toBeLessThan(1e-4);
    }
  });
});
