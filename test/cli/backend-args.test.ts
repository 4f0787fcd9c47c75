import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseBackendArgs } from '../../src/cli/backend-args';

describe('parseBackendArgs', () => {
  it('defaults to native on all cores and leaves every other argument in order', () => {
    expect(parseBackendArgs(['in.png', '--out', 'x.png'])).toEqual({ options: { backend: 'native', threads: availableParallelism() }, rest: ['in.png', '--out', 'x.png'] });
  });

  it('reads --name value and --name=value anywhere on the line', () => {
    expect(parseBackendArgs(['a', '--backend', 'wasm', '--cutn', '2', '--threads=3'])).toEqual({ options: { backend: 'wasm', threads: 3 }, rest: ['a', '--cutn', '2'] });
    expect(parseBackendArgs(['--backend=native', '--threads', '1']).options).toEqual({ backend: 'native', threads: 1 });
  });

  it('refuses an unknown backend, a bad thread count and a missing value by name', () => {
    expect(() => parseBackendArgs(['--backend', 'webgpu'])).toThrow(/--backend: 'webgpu' is not one of native, wasm/);
    expect(() => parseBackendArgs(['--threads', '0'])).toThrow(/--threads: expected a positive integer, got '0'/);
    expect(() => parseBackendArgs(['--threads', '1.5'])).toThrow(/--threads/);
    expect(() => parseBackendArgs(['--backend'])).toThrow(/--backend needs a value/);
  });
});
