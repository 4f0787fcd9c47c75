/** Plain-loop reference implementations, written independently of the graph builder. */

export interface Conv2dRef {
  x: Float32Array;
  xShape: [number, number, number, number];
  w: Float32Array;
  wShape: [number, number, number, number];
  b?: Float32Array;
  stride: number;
  padding: number;
  groups: number;
}

export function conv2dRef({ x, xShape, w, wShape, b, stride, padding, groups }: Conv2dRef): Float32Array {
  const [n, c, h, wd] = xShape;
  const [k, cg, kh, kw] = wShape;
  const oh = Math.floor((h + 2 * padding - kh) / stride) + 1;
  const ow = Math.floor((wd + 2 * padding - kw) / stride) + 1;
  const out = new Float32Array(n * k * oh * ow);
  const kPerGroup = k / groups;
  for (let ni = 0; ni < n; ni++)
    for (let ki = 0; ki < k; ki++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          let acc = b ? b[ki]! : 0;
          const g = Math.floor(ki / kPerGroup);
          for (let ci = 0; ci < cg; ci++)
            for (let dy = 0; dy < kh; dy++)
              for (let dx = 0; dx < kw; dx++) {
                const iy = oy * stride - padding + dy;
                const ix = ox * stride - padding + dx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                const xi = ((ni * c + g * cg + ci) * h + iy) * wd + ix;
                acc += x[xi]! * w[((ki * cg + ci) * kh + dy) * kw + dx]!;
              }
          out[((ni * k + ki) * oh + oy) * ow + ox] = acc;
        }
  return out;
}

export function matmulRef(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) acc += a[i * k + p]! * b[p * n + j]!;
      out[i * n + j] = acc;
    }
  return out;
}

/** Deterministic test data without our own PRNG (so a PRNG bug cannot hide a builder bug). */
export const ramp = (length: number, scale = 1, phase = 0): Float32Array =>
  Float32Array.from({ length }, (_, i) => scale * Math.sin(0.7 * i + phase));
