import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { add, Graph, serialize, tanh } from '../../src/graph';
import { createQueue, createRuntime } from '../../src/runtime';

describe('queue', () => {
  it('runs tasks one at a time in order, and a failure does not block the next', async () => {
    const queue = createQueue();
    const log: string[] = [];
    let running = 0;
    const task = (name: string, ms: number, fail = false) => async () => {
      running++;
      expect(running).toBe(1);
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`end ${name}`);
      running--;
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([queue(task('a', 20)), queue(task('b', 1, true)), queue(task('c', 5))]);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});

/** A two-input model: y = tanh(x + cond). */
function twoInputModel(): Uint8Array {
  const g = new Graph('two-inputs');
  g.output(tanh(add(g.input('x', 'float32', [1, 3]), g.input('cond', 'float32', [1, 3]))), 'y');
  return serialize(g);
}

describe('runtime', () => {
  it('reports wasm and why, when no WebGPU adapter was found', () => {
    const rt = createRuntime(ort, { threads: 1, fallbackReason: 'no WebGPU adapter is available' });
    expect(rt.backend).toEqual({ ep: 'wasm', threads: 1, fallbackReason: 'no WebGPU adapter is available' });
  });

  it('falls back to wasm, saying why, when a WebGPU session cannot be created', async () => {
    // Node's onnxruntime-web build has no WebGPU EP, so creating a WebGPU session fails for real.
    const adapter = { vendor: 'test', architecture: 'none', description: '', isFallbackAdapter: true };
    const rt = createRuntime(ort, { threads: 1, adapter });
    expect(rt.backend.ep).toBe('webgpu');
    const session = await rt.createSession(twoInputModel());
    expect(rt.backend.ep).toBe('wasm');
    expect(rt.backend.fallbackReason).toMatch(/^WebGPU session failed: /);
    expect(session.inputNames).toEqual(['x', 'cond']);
    await session.dispose();
  });

  it('turns a corrupt model into an EngineError', async () => {
    const rt = createRuntime(ort, { threads: 1 });
    await expect(rt.createSession(new Uint8Array([1, 2, 3, 4]))).rejects.toMatchObject({ name: 'EngineError', message: /could not create an onnxruntime session/ });
  });
});
