import { describe, expect, it } from 'vitest';
import { gridSample, Graph, type GridSampleOptions } from '../../src/graph';
import { hostTensor } from '../../src/runtime';
import { gradcheck } from '../helpers/gradcheck';
import { maxAbsDiff, runGraph, wasmRuntime } from '../helpers/ort';
import { ramp } from '../helpers/reference';

type Shape4 = [number, number, number, number];
type Mode = NonNullable<GridSampleOptions['mode']>;

/** C's nearbyint under the default rounding mode: halves go to the even neighbour. */
function nearbyint(v: number): number {
  const r = Math.round(v);
  return Math.abs(r - v) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** A plain-loop torch.nn.functional.grid_sample with padding_mode 'zeros', in double precision. */
function gridSampleRef(input: ArrayLike<number>, [n, c, h, w]: Shape4, grid: ArrayLike<number>, [ho, wo]: [number, number], mode: Mode, alignCorners: boolean): Float64Array {
  const out = new Float64Array(n * c * ho * wo);
  const unnormalize = (v: number, size: number) => (alignCorners ? ((v + 1) / 2) * (size - 1) : ((v + 1) * size - 1) / 2);
  const pixel = (b: number, ch: number, y: number, x: number) => (y >= 0 && y < h && x >= 0 && x < w ? input[((b * c + ch) * h + y) * w + x]! : 0);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++) {
        const g = ((b * ho + i) * wo + j) * 2;
        const ix = unnormalize(grid[g]!, w);
        const iy = unnormalize(grid[g + 1]!, h);
        for (let ch = 0; ch < c; ch++) {
          let v: number;
          if (mode === 'nearest') v = pixel(b, ch, nearbyint(iy), nearbyint(ix));
          else {
            const [x0, y0] = [Math.floor(ix), Math.floor(iy)];
            const [fx, fy] = [ix - x0, iy - y0];
            v = pixel(b, ch, y0, x0) * (1 - fx) * (1 - fy) + pixel(b, ch, y0, x0 + 1) * fx * (1 - fy) + pixel(b, ch, y0 + 1, x0) * (1 - fx) * fy + pixel(b, ch, y0 + 1, x0 + 1) * fx * fy;
          }
          out[((b * c + ch) * ho + i) * wo + j] = v;
        }
      }
  return out;
}

/**
 * Grid points at chosen pixel coordinates, so none sits on a pixel boundary (where bilinear is not
 * differentiable) or, for nearest, on a rounding tie: fractional parts stay in [0.1, 0.4] ∪ [0.6, 0.9].
 * They span one pixel beyond each edge, so some corners and some whole points fall outside.
 */
function gridAt([, , h, w]: Shape4, n: number, ho: number, wo: number, alignCorners: boolean): Float64Array {
  const normalize = (p: number, size: number) => (alignCorners ? (2 * p) / (size - 1) - 1 : (2 * p + 1) / size - 1);
  const grid = new Float64Array(n * ho * wo * 2);
  for (let k = 0; k < n * ho * wo; k++) {
    const frac = (s: number) => [0.12, 0.23, 0.37, 0.64, 0.78, 0.88][s % 6]!;
    grid[2 * k] = normalize(((k * 7) % (w + 2)) - 1 + frac(k), w);
    grid[2 * k + 1] = normalize(((k * 5) % (h + 2)) - 1 + frac(k + 3), h);
  }
  return grid;
}

async function sampleForward(input: Float64Array, shape: Shape4, grid: Float64Array, gridShape: Shape4, options: GridSampleOptions, dtype: 'float32' | 'float64') {
  const g = new Graph('grid-sample');
  g.output(gridSample(g.input('x', dtype, shape), g.input('grid', dtype, gridShape), options), 'y');
  const cast = (a: Float64Array) => (dtype === 'float32' ? Float32Array.from(a) : a);
  const out = await runGraph(g, { x: hostTensor(dtype, shape, cast(input)), grid: hostTensor(dtype, gridShape, cast(grid)) });
  expect(out.y!.shape).toEqual([shape[0], shape[1], gridShape[1], gridShape[2]]);
  return out.y!.data as Float32Array | Float64Array;
}

describe('gridSample forward', () => {
  it('bilinear gives the hand-computed values at the centre and a corner', async () => {
    const input = Float64Array.of(1, 2, 3, 4);
    // Centre of a 2×2 image: the mean. (-1, -1) without align_corners is the outer corner of pixel
    // (0, 0), half a pixel out on both axes: only that pixel contributes, with weight 1/4.
    const grid = Float64Array.of(0, 0, -1, -1, 1, -1);
    const y = await sampleForward(input, [1, 1, 2, 2], grid, [1, 1, 3, 2], {}, 'float32');
    expect([...y]).toEqual([2.5, 0.25, 0.5]);
    const aligned = await sampleForward(input, [1, 1, 2, 2], grid, [1, 1, 3, 2], { alignCorners: true }, 'float32');
    expect([...aligned]).toEqual([2.5, 1, 2]);
  });

  it('nearest rounds ties to even, as torch does with nearbyint', async () => {
    // Width 4 without align_corners: x = -1, -0.5, 0, 0.5, 1 unnormalise to -0.5, 0.5, 1.5, 2.5, 3.5,
    // which round to 0 (as -0), 0, 2, 2 and 4 (outside: zero).
    const row = Float64Array.of(10, 11, 12, 13);
    const xs = [-1, -0.5, 0, 0.5, 1];
    const grid = Float64Array.from(xs.flatMap((x) => [x, 0]));
    expect([...(await sampleForward(row, [1, 1, 1, 4], grid, [1, 1, 5, 2], { mode: 'nearest' }, 'float32'))]).toEqual([10, 10, 12, 12, 0]);
    // Width 5 with align_corners: x = -0.75, -0.25, 0.25, 0.75 unnormalise to 0.5, 1.5, 2.5, 3.5.
    const row5 = Float64Array.of(20, 21, 22, 23, 24);
    const grid5 = Float64Array.from([-0.75, -0.25, 0.25, 0.75].flatMap((x) => [x, 0]));
    const y = await sampleForward(row5, [1, 1, 1, 5], grid5, [1, 1, 4, 2], { mode: 'nearest', alignCorners: true }, 'float32');
    expect([...y]).toEqual([20, 22, 22, 24]);
  });

  const shape: Shape4 = [2, 3, 5, 4];
  for (const mode of ['bilinear', 'nearest'] as const)
    for (const alignCorners of [false, true]) {
      it(`matches a loop reference: ${mode}, align_corners ${alignCorners}`, async () => {
        const input = Float64Array.from(ramp(2 * 3 * 5 * 4));
        const gridShape: Shape4 = [2, 3, 6, 2];
        const grid = gridAt(shape, 2, 3, 6, alignCorners);
        const ref = gridSampleRef(input, shape, grid, [3, 6], mode, alignCorners);
        expect(maxAbsDiff(await sampleForward(input, shape, grid, gridShape, { mode, alignCorners }, 'float64'), ref)).toBeLessThan(1e-12);
        expect(maxAbsDiff(await sampleForward(input, shape, grid, gridShape, { mode, alignCorners }, 'float32'), ref)).toBeLessThan(1e-5);
      });
    }

  it('rejects shapes that do not fit', () => {
    const g = new Graph('bad');
    const x = g.input('x', 'float32', [1, 3, 4, 4]);
    expect(() => gridSample(x, g.input('g', 'float32', [1, 2, 2, 3]))).toThrowError(/GridSample: needs input \[N,C,H,W\] and grid \[N,Ho,Wo,2\], got input \[1, 3, 4, 4\], grid \[1, 2, 2, 3\]/);
    expect(() => gridSample(x, g.input('g2', 'float32', [2, 2, 2, 2]))).toThrowError(/GridSample/);
    expect(() => gridSample(x, g.input('g3', 'float64', [1, 2, 2, 2]))).toThrowError(/GridSample: needs float input and grid of one dtype, got float32 and float64/);
  });
});

describe('gridSample gradients (float64 central differences)', () => {
  const shape: Shape4 = [2, 2, 4, 5];
  for (const mode of ['bilinear', 'nearest'] as const)
    for (const alignCorners of [false, true]) {
      it(`${mode}, align_corners ${alignCorners}: w.r.t. the input and the grid`, async () => {
        const grid = gridAt(shape, 2, 3, 4, alignCorners);
        const result = await gradcheck(
          wasmRuntime(),
          {
            inputs: [{ shape }, { shape: [2, 3, 4, 2], data: grid }],
            build: ([x, g]) => gridSample(x!, g!, { mode, alignCorners }),
          },
          { directions: 4, coordinates: 6 },
        );
        expect(result.opsOffWebGpu).toEqual([]);
        expect(result.maxRelError).toBeLessThan(1e-6);
      });
    }

  it('nearest gives the grid a zero gradient, as torch does', async () => {
    const grid = gridAt(shape, 2, 3, 4, false);
    const result = await gradcheck(wasmRuntime(), { inputs: [{ shape }, { shape: [2, 3, 4, 2], data: grid }], wrt: [1], build: ([x, g]) => gridSample(x!, g!, { mode: 'nearest' }) });
    expect(result.analytic.every((a) => a === 0)).toBe(true);
    expect(result.numeric.every((v) => v === 0)).toBe(true);
  });
});
