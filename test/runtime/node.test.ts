import { createRequire } from 'node:module';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { backendLoader, describeNodeBackend, nodeRuntime, type BackendLoader } from '../../src/runtime/node';
import { conv2d, gather, grad, Graph, linear, serialize, tanh } from '../../src/graph';
import { hostTensor, type Runtime } from '../../src/runtime';
import { createRng } from '../../src/sampling/rng';
import { maxAbsDiff } from '../helpers/ort';

describe('backend selection', () => {
  const failing = () => {
    const warnings: string[] = [];
    let loads = 0;
    const load = backendLoader(() => {
      loads++;
      throw new Error('libonnxruntime.so.1: cannot open shared object file\n(more lines)');
    }, (line) => warnings.push(line));
    return { load, warnings, loads: () => loads };
  };

  it('falls back to wasm when the native binding cannot load, and says so once', () => {
    const { load, warnings, loads } = failing();
    const first = nodeRuntime({ backend: 'native', threads: 2 }, load);
    const second = nodeRuntime({ backend: 'native', threads: 2 }, load);
    const reason = 'onnxruntime-node could not load (libonnxruntime.so.1: cannot open shared object file)';
    expect(first.backend).toEqual({ ep: 'wasm', threads: 2, fallbackReason: reason });
    expect(second.backend.ep).toBe('wasm');
    expect(warnings).toEqual([`note: ${reason}; running on onnxruntime-web's wasm backend instead`]);
    expect(loads()).toBe(1);
  });

  it('never loads the native binding for --backend wasm', () => {
    const { load, warnings, loads } = failing();
    expect(nodeRuntime({ backend: 'wasm', threads: 1 }, load).backend).toEqual({ ep: 'wasm', threads: 1 });
    expect([loads(), warnings.length]).toEqual([0, 0]);
  });

  it('runs native on the CPU EP when the binding loads', () => {
    const warnings: string[] = [];
    const load: BackendLoader = backendLoader(undefined, (line) => warnings.push(line));
    const runtime = nodeRuntime({ backend: 'native', threads: 1 }, load);
    expect(runtime.backend).toEqual({ ep: 'cpu', threads: 1 });
    expect(describeNodeBackend(runtime.backend)).toBe('native onnxruntime-node (CPU EP), 1 thread');
    expect(warnings).toEqual([]);
  });

  it('uses onnxruntime-node of exactly the version of onnxruntime-web', () => {
    const native = createRequire(import.meta.url)('onnxruntime-node') as typeof ortWeb;
    expect(native.env.versions.node).toBe(ortWeb.env.versions.web);
  });
});

/** A conv, a linear layer and tanh, with seeded weights: y = tanh(W · flatten(conv(x)) + b). */
function smallModel(): Uint8Array {
  const rng = createRng(5);
  const g = new Graph('both-backends');
  const constant = (shape: number[]) => g.constant('float32', shape, rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1))).map((v) => 0.3 * v));
  const features = conv2d(g.input('x', 'float32', [1, 3, 8, 8]), constant([4, 3, 3, 3]), constant([4]), { padding: 1 });
  g.output(tanh(linear(features, constant([5, 8]), constant([5]))), 'y');
  return serialize(g);
}

async function runOn(runtime: Runtime, model: Uint8Array) {
  const session = await runtime.createSession(model);
  try {
    return (await session.run({ x: hostTensor('float32', [1, 3, 8, 8], createRng(6).fillNormal(new Float32Array(192))) })).y!;
  } finally {
    await session.dispose();
  }
}

describe('native and wasm backends', () => {
  it('give the same outputs for the same graph', async () => {
    const model = smallModel();
    const native = await runOn(nodeRuntime({ backend: 'native', threads: 1 }), model);
    const wasm = await runOn(nodeRuntime({ backend: 'wasm', threads: 1 }), model);
    expect(native.shape).toEqual([1, 4, 8, 5]);
    expect(wasm.shape).toEqual(native.shape);
    expect(maxAbsDiff(native.data as Float32Array, wasm.data as Float32Array)).toBeLessThan(1e-5);
  });
});

describe('gradients on native with several threads', () => {
  it('add every repeated index of a gather exactly (onnxruntime\'s threaded ScatterND-add loses some)', async () => {
    const [rows, picks] = [64, 1 << 20];
    const g = new Graph('gather-vjp');
    const x = g.input('x', 'float32', [rows, 3]);
    const index = g.constant('int32', [picks], Int32Array.from({ length: picks }, (_, i) => (i * 7919) % rows));
    const y = gather(x, index, 0);
    g.output(grad([y], [x], [g.input('dy', 'float32', [picks, 3])])[0]!, 'dx');
    const session = await nodeRuntime({ backend: 'native', threads: 2 }).createSession(serialize(g));
    try {
      const dy = hostTensor('float32', [picks, 3], new Float32Array(3 * picks).fill(1));
      const dx = (await session.run({ x: hostTensor('float32', [rows, 3], new Float32Array(3 * rows)), dy })).dx!.data as Float32Array;
      // Each row is picked picks / rows = 16384 times, a sum float32 holds exactly.
      expect([...dx]).toEqual(new Array(3 * rows).fill(picks / rows));
    } finally {
      await session.dispose();
    }
  });
});
