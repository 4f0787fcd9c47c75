import { describe, expect, it } from 'vitest';
import { buildSkeletonGraph, generateSkeleton, SKELETON } from '../../src/models/skeleton';
import { AbortError } from '../../src/errors';
import { hostTensor } from '../../src/runtime';
import { maxAbsDiff, runGraph, wasmRuntime } from '../helpers/ort';
import { conv2dRef, ramp } from '../helpers/reference';

/** The skeleton step written with plain loops from the graph's own weights. */
function referenceStep(x: Float32Array, cond: Float32Array): Float32Array {
  const g = buildSkeletonGraph();
  const weight = (name: string) => g.initializers.find((i) => i.name === name)!.data as Float32Array;
  const { size, channels, hidden } = SKELETON;
  const plane = size * size;
  const common = { stride: 1, padding: 1, groups: 1 } as const;
  const h = conv2dRef({ x, xShape: [1, channels, size, size], w: weight('conv1.weight'), wShape: [hidden, channels, 3, 3], b: weight('conv1.bias'), ...common });
  for (let i = 0; i < h.length; i++) h[i] = Math.tanh(h[i]! + cond[Math.floor(i / plane)]!);
  const d = conv2dRef({ x: h, xShape: [1, hidden, size, size], w: weight('conv2.weight'), wShape: [channels, hidden, 3, 3], b: weight('conv2.bias'), ...common });
  return d.map((v, i) => Math.tanh(x[i]! + v));
}

describe('skeleton network', () => {
  it('one step on the wasm EP equals the loop reference', async () => {
    const { size, channels, hidden } = SKELETON;
    const x = ramp(channels * size * size);
    const cond = ramp(hidden, 0.5, 1);
    const out = await runGraph(buildSkeletonGraph(), {
      x: hostTensor('float32', [1, channels, size, size], x),
      cond: hostTensor('float32', [1, hidden, 1, 1], cond),
    });
    expect(maxAbsDiff(out.y!.data as Float32Array, referenceStep(x, cond))).toBeLessThan(1e-5);
  });

  it('turns (prompt, seed) into a reproducible 64×64 image, reporting each step', async () => {
    const steps: number[] = [];
    const a = await generateSkeleton(wasmRuntime(), { prompt: 'a lighthouse', seed: 3, steps: 4 }, (p) => steps.push(p.step));
    expect(steps).toEqual([1, 2, 3, 4]);
    expect([a.width, a.height, a.rgba.length]).toEqual([64, 64, 64 * 64 * 4]);
    const again = await generateSkeleton(wasmRuntime(), { prompt: 'a lighthouse', seed: 3, steps: 4 });
    expect(again.rgba).toEqual(a.rgba);
    const other = await generateSkeleton(wasmRuntime(), { prompt: 'a forest', seed: 3, steps: 4 });
    expect(maxAbsDiff(other.rgba, a.rgba)).toBeGreaterThan(10);
  });

  it('stops between steps when cancelled', async () => {
    const signal = { aborted: false };
    const run = generateSkeleton(wasmRuntime(), { prompt: 'x', seed: 1, steps: 50 }, (p) => {
      if (p.step === 2) signal.aborted = true;
    }, signal);
    await expect(run).rejects.toBeInstanceOf(AbortError);
  });
});
