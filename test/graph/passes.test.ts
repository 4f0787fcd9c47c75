import { describe, expect, it } from 'vitest';
import { add, exp, Graph, linear, mul, optimize, serialize, serializeWithExternalData, tanh } from '../../src/graph';
import { hostTensor } from '../../src/runtime';
import { maxAbsDiff, wasmRuntime } from '../helpers/ort';
import { ramp } from '../helpers/reference';

/** A two-layer MLP with a repeated subexpression, a dead branch and constant-only glue. */
function mlp(): Graph {
  const g = new Graph('mlp');
  const x = g.input('x', 'float32', [4, 16]);
  const w1 = g.constant('float32', [32, 16], ramp(512, 0.2), 'w1');
  const w2 = g.constant('float32', [8, 32], ramp(256, 0.2, 1), 'w2');
  const b2 = g.constant('float32', [8], ramp(8, 0.1, 2), 'b2');
  const h = tanh(linear(x, w1));
  const again = tanh(linear(x, w1));
  exp(h); // dead: nothing uses it
  g.output(add(linear(mul(h, again), w2, b2), linear(h, w2)), 'y');
  return g;
}

async function run(model: Uint8Array, x: Float32Array, external: Parameters<ReturnType<typeof wasmRuntime>['createSession']>[1] = []) {
  const session = await wasmRuntime().createSession(model, external);
  try {
    return (await session.run({ x: hostTensor('float32', [4, 16], x) })).y!.data as Float32Array;
  } finally {
    await session.dispose();
  }
}

describe('graph passes', () => {
  it('fold weight transposes, merge duplicates and drop dead nodes without changing results', async () => {
    const g = mlp();
    const optimized = optimize(g);
    const ops = (nodes: readonly { opType: string }[]) => nodes.map((n) => n.opType).sort().join(' ');
    expect(ops(g.nodes)).toBe('Add Add Exp Identity MatMul MatMul MatMul MatMul Mul Tanh Tanh Transpose Transpose Transpose Transpose');
    // One transpose per weight folded, the duplicated first layer merged, the Exp gone.
    expect(ops(optimized.nodes)).toBe('Add Add Identity MatMul MatMul MatMul Mul Tanh');
    expect(optimized.initializers.map((i) => [i.name, i.shape])).toEqual(
      expect.arrayContaining([[expect.any(String), [16, 32]], [expect.any(String), [32, 8]]]),
    );
    const x = ramp(64, 1, 0.5);
    expect(maxAbsDiff(await run(serialize(optimized), x), await run(serialize(g), x))).toBeLessThan(1e-6);
  });

  it('stores weights as float16 at half the size, computing in float32', async () => {
    const g = optimize(mlp());
    const full = serialize(g);
    const half = serialize(g, { weights: 'float16' });
    expect(half.length).toBeLessThan(0.65 * full.length);
    const x = ramp(64, 1, 0.5);
    const [a, b] = [await run(full, x), await run(half, x)];
    const scale = Math.max(...a.map(Math.abs));
    expect(maxAbsDiff(a, b) / scale).toBeLessThan(1e-2);
    expect(maxAbsDiff(a, b)).toBeGreaterThan(0);
  });

  it('writes large constants to external files that onnxruntime loads', async () => {
    const g = optimize(mlp());
    const { model, files } = serializeWithExternalData(g, { external: { prefix: 'mlp.weights', minBytes: 512, maxFileBytes: 1500 } });
    // w1ᵀ (2048 bytes) alone exceeds a file, so it gets its own; w2ᵀ (1024) the next; b2 (32) stays inline.
    expect(files.map((f) => [f.path, f.data.length])).toEqual([['mlp.weights.0', 2048], ['mlp.weights.1', 1024]]);
    expect(model.length).toBeLessThan(1024);
    const x = ramp(64, 1, 0.5);
    expect(await run(model, x, files)).toEqual(await run(serialize(g), x));
  });

  it('gives byte-identical files for the same inputs', () => {
    expect(serialize(optimize(mlp()), { weights: 'float16' })).toEqual(serialize(optimize(mlp()), { weights: 'float16' }));
  });
});
