import { Graph, optimize, relu, serialize } from '../src/graph';
import { createSwinIRUpscaler, planarImage } from '../src/models/swinir/index';
import { SeededWeights } from '../src/models/weights';
import type { Runtime } from '../src/runtime';
import { createRng } from '../src/sampling/rng';
import { SWINIR_M } from './full-size-configs';
import { withPeakRss } from './peak-rss';
import type { Benchmark, Figure } from './run';

const SIZE = 256;
const SESSION_TARGET_MS = 3000;

/** onnxruntime loads its wasm or native library on the first session; a one-node session first keeps that out of the figure. */
async function warmUp(runtime: Runtime): Promise<void> {
  const g = new Graph('warm-up');
  g.output(relu(g.input('x', 'float32', [1])), 'y');
  await (await runtime.createSession(serialize(optimize(g)))).dispose();
}

const bench: Benchmark = {
  description: `SwinIR-M (seeded random weights) ${SIZE}→${4 * SIZE}, whole image as the seed runs it (padded to 264), in Node (native onnxruntime or --backend wasm)`,
  async run(_args, context) {
    const runtime = context.runtime();
    await warmUp(runtime);
    const rng = createRng(11);
    const image = planarImage(3, SIZE, SIZE, Float32Array.from({ length: 3 * SIZE * SIZE }, () => rng.uniform()));
    const upscaler = createSwinIRUpscaler(runtime, { config: SWINIR_M, weights: new SeededWeights(20261126) });
    const { result, peakMiB } = await withPeakRss(async () => {
      const start = Date.now();
      const out = await upscaler.predict(image);
      return { out, totalMs: Date.now() - start };
    });
    const stats = upscaler.stats!;
    await upscaler.dispose();
    const finite = result.out.data.every(Number.isFinite);
    const figures: Record<string, Figure> = {
      nodes: { value: stats.nodes, unit: 'nodes (after optimize)' },
      session_create: { value: Math.round(stats.sessionMs), unit: 'ms', target: `< ${SESSION_TARGET_MS}`, pass: stats.sessionMs < SESSION_TARGET_MS },
      graph_build: { value: Math.round(stats.buildMs), unit: 'ms (seeded weights, build, optimize, serialize)' },
      run: { value: Math.round(result.totalMs - stats.buildMs - stats.sessionMs), unit: 'ms (padding, network, crop, clamp)' },
      upscale_total: { value: Math.round(result.totalMs), unit: 'ms' },
      peak_rss: { value: peakMiB, unit: 'MiB' },
      max_rss: { value: Math.round(process.resourceUsage().maxRSS / 1024), unit: 'MiB (process lifetime)' },
    };
    const notes = [
      `graph ${stats.height}×${stats.width} → ${4 * stats.height}×${4 * stats.width}, cropped to ${4 * SIZE}×${4 * SIZE}`,
      `output finite: ${finite}`,
    ];
    return { figures, notes };
  },
};

export default bench;
