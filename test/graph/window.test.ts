import { describe, expect, it } from 'vitest';
import {
  add,
  attention,
  gather,
  gridSample,
  Graph,
  linear,
  matmul,
  mergeHeads,
  mul,
  reduceSum,
  reshape,
  roll,
  slice,
  splitHeads,
  sub,
  transpose,
  transposeLast,
  type Tensor,
} from '../../src/graph';
import { hostTensor } from '../../src/runtime';
import { gradcheck } from '../helpers/gradcheck';
import { maxAbsDiff, runGraph, wasmRuntime } from '../helpers/ort';
import { ramp } from '../helpers/reference';

/** SwinIR's shifted-window attention: sizes small enough for finite differences, large enough for four windows. */
const B = 2;
const H = 8;
const W = 8;
const C = 8;
const HEADS = 2;
const WS = 4;
const SHIFT = WS / 2;
const N = WS * WS;
const NW = (H / WS) * (W / WS);
const TABLE = (2 * WS - 1) ** 2;

/** SwinIR's relative_position_index: for tokens t, u of a window, (Δrow + ws − 1)·(2ws − 1) + Δcol + ws − 1. */
function relativePositionIndex(): number[] {
  const index: number[] = [];
  for (let t = 0; t < N; t++)
    for (let u = 0; u < N; u++) {
      const dr = Math.floor(t / WS) - Math.floor(u / WS) + WS - 1;
      const dc = (t % WS) - (u % WS) + WS - 1;
      index.push(dr * (2 * WS - 1) + dc);
    }
  return index;
}

/** SwinIR's calculate_mask: regions of the shifted image get labels; tokens of different regions get −100. */
const region = (r: number, size: number) => (r < size - WS ? 0 : r < size - SHIFT ? 1 : 2);
const label = (row: number, col: number) => 3 * region(row, H) + region(col, W);
/** Token t of window w, in shifted-image coordinates. */
const tokenAt = (w: number, t: number): [number, number] => [Math.floor(w / (W / WS)) * WS + Math.floor(t / WS), (w % (W / WS)) * WS + (t % WS)];

function shiftMask(): Float64Array {
  const mask = new Float64Array(NW * N * N);
  for (let w = 0; w < NW; w++)
    for (let t = 0; t < N; t++)
      for (let u = 0; u < N; u++) mask[(w * N + t) * N + u] = label(...tokenAt(w, t)) === label(...tokenAt(w, u)) ? 0 : -100;
  return mask;
}

/** [B, H, W, C] → [B·nW, ws·ws, C], windows in row-major order (SwinIR's window_partition). */
function windowPartition(x: Tensor): Tensor {
  const parts = transpose(reshape(x, [B, H / WS, WS, W / WS, WS, C]), [0, 1, 3, 2, 4, 5]);
  return reshape(parts, [B * NW, N, C]);
}

/** The inverse: [B·nW, ws·ws, C] → [B, H, W, C] (window_reverse). */
function windowReverse(x: Tensor): Tensor {
  const parts = transpose(reshape(x, [B, H / WS, W / WS, WS, WS, C]), [0, 1, 3, 2, 4, 5]);
  return reshape(parts, [B, H, W, C]);
}

interface SwinWeights {
  readonly table: Tensor;
  readonly qkvWeight: Tensor;
  readonly qkvBias: Tensor;
  readonly projWeight: Tensor;
  readonly projBias: Tensor;
}

/** SwinTransformerBlock's attention branch plus its residual: roll, partition, attention with bias and mask, reverse, roll back. */
function shiftedWindowAttention(x: Tensor, { table, qkvWeight, qkvBias, projWeight, projBias }: SwinWeights): Tensor {
  const g = x.graph;
  const windows = windowPartition(roll(x, [-SHIFT, -SHIFT], [1, 2]));
  const qkv = linear(windows, qkvWeight, qkvBias);
  // [B·nW, N, C] → [B, nW, heads, N, d], so the mask [nW, 1, N, N] lines up with the windows of each image.
  const heads = (i: number) => reshape(splitHeads(slice(qkv, [2], [i * C], [(i + 1) * C]), HEADS), [B, NW, HEADS, N, C / HEADS]);
  const index = g.constant('int64', [N * N], BigInt64Array.from(relativePositionIndex(), BigInt));
  const bias = transpose(reshape(gather(table, index, 0), [N, N, HEADS]), [2, 0, 1]);
  const mask = add(bias, g.constant('float64', [NW, 1, N, N], shiftMask()));
  const attended = mergeHeads(reshape(attention(heads(0), heads(1), heads(2), { mask }), [B * NW, HEADS, N, C / HEADS]));
  const out = windowReverse(linear(attended, projWeight, projBias));
  return add(x, roll(out, [SHIFT, SHIFT], [1, 2]));
}

interface SwinData {
  x: Float64Array;
  table: Float64Array;
  qkvWeight: Float64Array;
  qkvBias: Float64Array;
  projWeight: Float64Array;
  projBias: Float64Array;
}

/** Plain loops, reading the unshifted image through modular indices rather than rolls and reshapes. */
function swinReference(d: SwinData): Float64Array {
  const out = Float64Array.from(d.x);
  const index = relativePositionIndex();
  const dh = C / HEADS;
  const lin = (v: ArrayLike<number>, w: Float64Array, b: Float64Array, rows: number) => Array.from({ length: rows }, (_, o) => b[o]! + Array.from(v).reduce((s, vi, i) => s + vi * w[o * C + i]!, 0));
  for (let b = 0; b < B; b++)
    for (let w = 0; w < NW; w++) {
      const pixel = (t: number) => tokenAt(w, t).map((p, axis) => (p + SHIFT) % (axis === 0 ? H : W)) as [number, number];
      const qkv = Array.from({ length: N }, (_, t) => {
        const [r, c] = pixel(t);
        return lin(d.x.subarray(((b * H + r) * W + c) * C, ((b * H + r) * W + c + 1) * C), d.qkvWeight, d.qkvBias, 3 * C);
      });
      const merged = Array.from({ length: N }, () => new Float64Array(C));
      for (let h = 0; h < HEADS; h++)
        for (let t = 0; t < N; t++) {
          const logits = Array.from({ length: N }, (_, u) => {
            let s = 0;
            for (let k = 0; k < dh; k++) s += qkv[t]![h * dh + k]! * qkv[u]![C + h * dh + k]!;
            const masked = label(...tokenAt(w, t)) === label(...tokenAt(w, u)) ? 0 : -100;
            return s / Math.sqrt(dh) + d.table[index[t * N + u]! * HEADS + h]! + masked;
          });
          const top = Math.max(...logits);
          const e = logits.map((l) => Math.exp(l - top));
          const total = e.reduce((p, q) => p + q, 0);
          for (let u = 0; u < N; u++) for (let k = 0; k < dh; k++) merged[t]![h * dh + k]! += (e[u]! / total) * qkv[u]![2 * C + h * dh + k]!;
        }
      for (let t = 0; t < N; t++) {
        const [r, c] = pixel(t);
        lin(merged[t]!, d.projWeight, d.projBias, C).forEach((v, k) => (out[((b * H + r) * W + c) * C + k]! += v));
      }
    }
  return out;
}

const swinData = (): SwinData => ({
  x: Float64Array.from(ramp(B * H * W * C)),
  table: Float64Array.from(ramp(TABLE * HEADS, 0.5, 0.4)),
  qkvWeight: Float64Array.from(ramp(3 * C * C, 0.3, 1)),
  qkvBias: Float64Array.from(ramp(3 * C, 0.1, 2)),
  projWeight: Float64Array.from(ramp(C * C, 0.3, 3)),
  projBias: Float64Array.from(ramp(C, 0.1, 4)),
});

const SWIN_SHAPES = [
  [B, H, W, C],
  [TABLE, HEADS],
  [3 * C, C],
  [3 * C],
  [C, C],
  [C],
];

const weightsOf = ([, table, qkvWeight, qkvBias, projWeight, projBias]: readonly Tensor[]): SwinWeights => ({
  table: table!,
  qkvWeight: qkvWeight!,
  qkvBias: qkvBias!,
  projWeight: projWeight!,
  projBias: projBias!,
});

describe('windowed attention with a shift mask (SwinIR)', () => {
  it('matches a plain-loop reference', async () => {
    const data = swinData();
    const g = new Graph('swin');
    const names = ['x', 'table', 'qkvWeight', 'qkvBias', 'projWeight', 'projBias'] as const;
    const inputs = names.map((name, i) => g.input(name, 'float64', SWIN_SHAPES[i]!));
    g.output(shiftedWindowAttention(inputs[0]!, weightsOf(inputs)), 'y');
    const out = await runGraph(g, Object.fromEntries(names.map((name, i) => [name, hostTensor('float64', SWIN_SHAPES[i]!, data[name])])));
    expect(maxAbsDiff(out.y!.data as Float64Array, swinReference(data))).toBeLessThan(1e-10);
  });

  it('has gradients for the image, the bias table and the weights that match finite differences (float64)', async () => {
    const data = swinData();
    const order = [data.x, data.table, data.qkvWeight, data.qkvBias, data.projWeight, data.projBias];
    const result = await gradcheck(
      wasmRuntime(),
      { inputs: SWIN_SHAPES.map((shape, i) => ({ shape, data: order[i]! })), build: (xs) => shiftedWindowAttention(xs[0]!, weightsOf(xs)) },
      { directions: 4, coordinates: 8 },
    );
    expect(result.opsOffWebGpu).toEqual([]);
    expect(result.maxRelError).toBeLessThan(1e-6);
  });
});

/** A small affine warp: theta [N, 2, 3] maps output pixel centres (align_corners=False) to input coordinates. */
const WARP = { n: 1, c: 2, h: 6, w: 7 };
const THETA = [0.88, 0.1, 0.07, -0.1, 0.83, -0.07];

/** torch's affine_grid base: (x, y, 1) at each output pixel centre, row-major. */
function baseGrid(): Float64Array {
  const { h, w } = WARP;
  return Float64Array.from({ length: h * w * 3 }, (_, k) => {
    const [p, axis] = [Math.floor(k / 3), k % 3];
    return axis === 0 ? (2 * (p % w) + 1) / w - 1 : axis === 1 ? (2 * Math.floor(p / w) + 1) / h - 1 : 1;
  });
}

/** affine_grid → grid_sample (bilinear, zeros, align_corners=False) → squared error against a target. */
function warpLoss(image: Tensor, theta: Tensor): Tensor {
  const { n, c, h, w } = WARP;
  const g = image.graph;
  const base = g.constant('float64', [1, h * w, 3], baseGrid());
  const grid = reshape(matmul(base, transposeLast(theta)), [n, h, w, 2]);
  const diff = sub(gridSample(image, grid), g.constant('float64', [n, c, h, w], Float64Array.from(ramp(n * c * h * w, 0.5, 2))));
  return reduceSum(mul(diff, diff), [0, 1, 2, 3]);
}

describe('grid-sample warp', () => {
  it('an identity warp reproduces the image', async () => {
    const { n, c, h, w } = WARP;
    const g = new Graph('warp');
    const image = g.input('image', 'float64', [n, c, h, w]);
    const theta = g.constant('float64', [n, 2, 3], Float64Array.of(1, 0, 0, 0, 1, 0));
    g.output(gridSample(image, reshape(matmul(g.constant('float64', [1, h * w, 3], baseGrid()), transposeLast(theta)), [n, h, w, 2])), 'y');
    const data = Float64Array.from(ramp(n * c * h * w));
    const out = await runGraph(g, { image: hostTensor('float64', [n, c, h, w], data) });
    expect(maxAbsDiff(out.y!.data as Float64Array, data)).toBeLessThan(1e-12);
  });

  it('has gradients for the image and theta that match finite differences (float64)', async () => {
    const { n, c, h, w } = WARP;
    // Precondition: no sample lies within 0.02 px of a pixel boundary, where bilinear is not differentiable.
    const base = baseGrid();
    for (let p = 0; p < h * w; p++) {
      const [x, y] = [0, 1].map((r) => THETA[3 * r]! * base[3 * p]! + THETA[3 * r + 1]! * base[3 * p + 1]! + THETA[3 * r + 2]!) as [number, number];
      for (const [v, size] of [[x, w], [y, h]] as const) {
        const pix = ((v + 1) * size - 1) / 2;
        expect(Math.abs(pix - Math.round(pix))).toBeGreaterThan(0.02);
      }
    }
    const result = await gradcheck(
      wasmRuntime(),
      { inputs: [{ shape: [n, c, h, w] }, { shape: [n, 2, 3], data: THETA }], build: ([image, theta]) => warpLoss(image!, theta!) },
      { directions: 4, coordinates: 6 },
    );
    expect(result.opsOffWebGpu).toEqual([]);
    expect(result.maxRelError).toBeLessThan(1e-6);
  });
});
