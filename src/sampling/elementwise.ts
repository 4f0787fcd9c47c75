import { ShapeError } from '../errors';

/**
 * Elementwise float32 arithmetic as torch does it on the CPU: every op's result is rounded to
 * float32. A sum, difference, product, quotient or square root of two float32 values computed in
 * float64 and then rounded is the correctly rounded float32 result, so chaining `f(...)` around
 * each upstream op reproduces torch's numbers (exp and log only up to their last bit).
 */
export const f = Math.fround;

function sameLength(what: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new ShapeError(`${what}: tensors of ${a.length} and ${b.length} elements`);
}

export function map1(a: Float32Array, op: (x: number) => number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = op(a[i]!);
  return out;
}

export function map2(what: string, a: Float32Array, b: Float32Array, op: (x: number, y: number) => number): Float32Array {
  sameLength(what, a, b);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = op(a[i]!, b[i]!);
  return out;
}

export function map3(what: string, a: Float32Array, b: Float32Array, c: Float32Array, op: (x: number, y: number, z: number) => number): Float32Array {
  sameLength(what, a, b);
  sameLength(what, a, c);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = op(a[i]!, b[i]!, c[i]!);
  return out;
}
