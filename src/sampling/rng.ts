/**
 * Our seeded PRNG: xoshiro128** (Blackman & Vigna, 2018) seeded through splitmix32, so any 32-bit
 * seed gives a well-mixed state. Uniforms take 53 bits from two outputs; normals use the Box–Muller
 * transform and use both values it yields. The same seed gives the same stream on every platform.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
  /** Fills an array with N(0, 1) draws in index order. */
  fillNormal<A extends Float32Array | Float64Array>(out: A): A;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function xoshiro128ss(seed: number): () => number {
  const mix = splitmix32(seed);
  const s = Uint32Array.of(mix(), mix(), mix(), mix());
  return () => {
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  };
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

export function createRng(seed: number): Rng {
  const next = xoshiro128ss(seed);
  let spare: number | undefined;
  const uniform = () => ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
  const normal = () => {
    if (spare !== undefined) {
      const v = spare;
      spare = undefined;
      return v;
    }
    const u = 1 - uniform(); // (0, 1]: log(u) stays finite
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * uniform();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
  return {
    uniform,
    normal,
    fillNormal(out) {
      for (let i = 0; i < out.length; i++) out[i] = normal();
      return out;
    },
  };
}

/** FNV-1a over the UTF-8 bytes: a stable 32-bit seed from a string. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) h = Math.imul(h ^ byte, 0x01000193);
  return h >>> 0;
}
