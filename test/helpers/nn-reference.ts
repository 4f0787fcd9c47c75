/**
 * Plain-loop references for the normalisation, activation, attention and pooling ops, written from
 * the torch definitions and independently of the graph builder. Arrays are row-major.
 */

type Num = ArrayLike<number>;

/** erf by its Maclaurin series: exact to ~1e-15 for |x| < 3, which is where the tests probe it. */
export function erfRef(x: number): number {
  let term = x;
  let total = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    total += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * total;
}

export const geluRef = (x: number): number => 0.5 * x * (1 + erfRef(x / Math.SQRT2));
export const sigmoidRef = (x: number): number => 1 / (1 + Math.exp(-x));

/** Normalises each consecutive run of `d` values (biased variance), then ·weight + bias per position in the run. */
export function layerNormRef(x: Num, d: number, eps: number, weight?: Num, bias?: Num): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[r * d + i]! / d;
    let variance = 0;
    for (let i = 0; i < d; i++) variance += (x[r * d + i]! - mean) ** 2 / d;
    for (let i = 0; i < d; i++) {
      out[r * d + i] = ((x[r * d + i]! - mean) / Math.sqrt(variance + eps)) * (weight?.[i] ?? 1) + (bias?.[i] ?? 0);
    }
  }
  return out;
}

/** torch GroupNorm on [n, c, s] (s = spatial size). */
export function groupNormRef(x: Num, n: number, c: number, s: number, groups: number, eps: number, weight: Num, bias: Num): Float64Array {
  const perGroup = (c / groups) * s;
  const normalised = layerNormRef(x, perGroup, eps);
  return normalised.map((v, i) => {
    const channel = Math.floor(i / s) % c;
    return v * weight[channel]! + bias[channel]!;
  });
}

/** Softmax over consecutive runs of `d` values. */
export function softmaxRef(x: Num, d: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let max = -Infinity;
    for (let i = 0; i < d; i++) max = Math.max(max, x[r * d + i]!);
    let total = 0;
    for (let i = 0; i < d; i++) total += Math.exp(x[r * d + i]! - max);
    for (let i = 0; i < d; i++) out[r * d + i] = Math.exp(x[r * d + i]! - max) / total;
  }
  return out;
}

/** [m, k]·[k, n] for each of `batch` pairs (b is shared when bBatch is false). */
export function bmmRef(a: Num, b: Num, batch: number, m: number, k: number, n: number, bBatch = true): Float64Array {
  const out = new Float64Array(batch * m * n);
  for (let z = 0; z < batch; z++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) acc += a[(z * m + i) * k + p]! * b[((bBatch ? z : 0) * k + p) * n + j]!;
        out[(z * m + i) * n + j] = acc;
      }
  return out;
}

/** softmax(q·kᵀ·scale + mask)·v for `batch` heads, q [tq, d], k [tk, d], v [tk, dv], mask [tq, tk] or none. */
export function attentionRef(q: Num, k: Num, v: Num, dims: { batch: number; tq: number; tk: number; d: number; dv: number }, scale: number, mask?: Num): Float64Array {
  const { batch, tq, tk, d, dv } = dims;
  const logits = new Float64Array(batch * tq * tk);
  for (let z = 0; z < batch; z++)
    for (let i = 0; i < tq; i++)
      for (let j = 0; j < tk; j++) {
        let acc = 0;
        for (let p = 0; p < d; p++) acc += q[(z * tq + i) * d + p]! * k[(z * tk + j) * d + p]!;
        logits[(z * tq + i) * tk + j] = acc * scale + (mask?.[i * tk + j] ?? 0);
      }
  return bmmRef(softmaxRef(logits, tk), v, batch, tq, tk, dv);
}

/** torch Linear on rows of x [rows, in] with weight [out, in] and bias [out]. */
export function linearRef(x: Num, weight: Num, bias: Num, inF: number, outF: number): Float64Array {
  const rows = x.length / inF;
  const out = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < outF; o++) {
      let acc = bias[o]!;
      for (let i = 0; i < inF; i++) acc += x[r * inF + i]! * weight[o * inF + i]!;
      out[r * outF + o] = acc;
    }
  return out;
}

/** Average pooling of planes [planes, h, w] with zero padding counted in the divisor (torch's default). */
export function avgPoolRef(x: Num, planes: number, h: number, w: number, k: number, stride: number, pad: number): Float64Array {
  const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - k) / stride) + 1;
  const out = new Float64Array(planes * oh * ow);
  for (let p = 0; p < planes; p++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        let acc = 0;
        for (let di = 0; di < k; di++)
          for (let dj = 0; dj < k; dj++) {
            const y = i * stride - pad + di;
            const x0 = j * stride - pad + dj;
            if (y >= 0 && y < h && x0 >= 0 && x0 < w) acc += x[(p * h + y) * w + x0]!;
          }
        out[(p * oh + i) * ow + j] = acc / (k * k);
      }
  return out;
}

/** torch max_pool2d(k) (stride k, floor) on planes [planes, h, w]: the value and the first index of each window's maximum. */
export function maxPoolRef(x: Num, planes: number, h: number, w: number, k: number): { values: Float64Array; argmax: Int32Array } {
  const [oh, ow] = [Math.floor(h / k), Math.floor(w / k)];
  const values = new Float64Array(planes * oh * ow);
  const argmax = new Int32Array(planes * oh * ow);
  for (let p = 0; p < planes; p++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        let best = -Infinity;
        let at = -1;
        for (let di = 0; di < k; di++)
          for (let dj = 0; dj < k; dj++) {
            const index = (p * h + i * k + di) * w + j * k + dj;
            if (x[index]! > best) [best, at] = [x[index]!, index];
          }
        values[(p * oh + i) * ow + j] = best;
        argmax[(p * oh + i) * ow + j] = at;
      }
  return { values, argmax };
}

/** torch adaptive_avg_pool2d on planes [planes, h, w], windows floor(i·in/out) … ceil((i+1)·in/out). */
export function adaptiveAvgPoolRef(x: Num, planes: number, h: number, w: number, oh: number, ow: number): Float64Array {
  const out = new Float64Array(planes * oh * ow);
  for (let p = 0; p < planes; p++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        const [y0, y1] = [Math.floor((i * h) / oh), Math.ceil(((i + 1) * h) / oh)];
        const [x0, x1] = [Math.floor((j * w) / ow), Math.ceil(((j + 1) * w) / ow)];
        let acc = 0;
        for (let y = y0; y < y1; y++) for (let x1i = x0; x1i < x1; x1i++) acc += x[(p * h + y) * w + x1i]!;
        out[(p * oh + i) * ow + j] = acc / ((y1 - y0) * (x1 - x0));
      }
  return out;
}
