import { expect } from 'vitest';

/** Byte-for-byte equality without vitest's element-wise deep compare (slow on megabytes); names the first difference. */
export function expectSameBytes(got: Uint8Array, want: Uint8Array, what = 'bytes'): void {
  expect(got.byteLength, `${what}: length`).toBe(want.byteLength);
  const a = Buffer.from(got.buffer, got.byteOffset, got.byteLength);
  const b = Buffer.from(want.buffer, want.byteOffset, want.byteLength);
  if (a.equals(b)) return;
  const at = a.findIndex((v, i) => v !== b[i]);
  expect.fail(`${what}: first difference at byte ${at} (${a[at]} vs ${b[at]})`);
}
