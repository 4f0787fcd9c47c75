import { expect } from 'vitest';

/** Awaits `work` and asserts it failed with a CheckpointError whose message matches. */
export async function expectCheckpointError(work: Promise<unknown> | (() => unknown), message: string | RegExp): Promise<void> {
  let caught: unknown;
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a CheckpointError').toBeInstanceOf(Error);
  expect((caught as Error).name).toBe('CheckpointError');
  expect((caught as Error).message).toMatch(message);
}
