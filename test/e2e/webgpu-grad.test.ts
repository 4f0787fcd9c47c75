import type { PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGradComposite, buildModelOpsComposite, type CompositeModel } from '../helpers/composite-models';
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

const composites: [string, () => CompositeModel][] = [
  ['conv, padding, flips, matmul and reductions', buildGradComposite],
  ['norms, attention with a gathered bias, pooling, roll and grid sampling', buildModelOpsComposite],
];

describe('exported gradient graphs on the WebGPU EP', () => {
  for (const [name, build] of composites) {
    it(`${name}: every node on WebGPU, results equal to the wasm EP`, async () => {
      const { model, feeds } = build();
      const gpu = await runInPage(studio.page, model, feeds, 'webgpu');
      const cpu = await runInPage(studio.page, model, feeds, 'wasm');
      expect(gpu.placement.join('\n')).toMatch(/All nodes placed on \[WebGpuExecutionProvider\]/);
      for (const output of ['y', 'dx']) {
        const scale = Math.max(...cpu.outputs[output]!.map(Math.abs));
        expect(scale).toBeGreaterThan(0.1);
        expect(maxAbsDiff(gpu.outputs[output]!, cpu.outputs[output]!) / scale).toBeLessThan(1e-4);
      }
    });
  }
});
