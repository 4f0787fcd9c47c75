import { describe, expect, it } from 'vitest';
import { sessionSwap } from '../../src/pipeline/session-swap';
import type { Runtime } from '../../src/runtime';

/** A runtime whose sessions echo their model's first byte and count how many are alive. */
function countingRuntime() {
  const state = { alive: 0, maxAlive: 0, created: 0 };
  const runtime = {
    createSession: (bytes: Uint8Array) => {
      state.created += 1;
      state.alive += 1;
      state.maxAlive = Math.max(state.maxAlive, state.alive);
      return Promise.resolve({ run: () => Promise.resolve({ id: { dtype: 'float32', shape: [1], data: Float32Array.of(bytes[0]!) } }), dispose: () => Promise.resolve(void (state.alive -= 1)) });
    },
  } as unknown as Runtime;
  return { runtime, state };
}

describe('sessionSwap', () => {
  it('holds at most one session, re-creates on a swap only, and serialises concurrent runs', async () => {
    const { runtime, state } = countingRuntime();
    const swap = sessionSwap(runtime);
    const a = swap.session('a', () => Promise.resolve(Uint8Array.of(1)));
    const b = swap.session('b', () => Promise.resolve(Uint8Array.of(2)));
    const outs = await Promise.all([a.run({}), a.run({}), b.run({}), a.run({})]);
    expect(outs.map((o) => (o.id!.data as Float32Array)[0])).toEqual([1, 1, 2, 1]);
    expect(state.created).toBe(3);
    expect(state.maxAlive).toBe(1);
    await swap.release('b');
    expect(state.alive).toBe(1);
    await swap.release('a');
    expect(state.alive).toBe(0);
    await b.run({});
    await swap.dispose();
    expect(state.alive).toBe(0);
  });
});
