import { ShapeError } from '../../errors';
import { isFloat } from '../dtype';
import { formatShape, type Tensor } from '../tensor';
import { scalar } from './apply';
import { add, and, cast, div, floor, greater, less, mul, sub, where } from './elementwise';
import { gatherElements } from './gather';
import { reduceSum } from './reduce';
import { concat, expand, reshape, slice } from './shape';

export interface GridSampleOptions {
  /** 'bilinear' (torch's default) or 'nearest'. */
  readonly mode?: 'bilinear' | 'nearest';
  /** torch's align_corners: -1 and 1 name the centres (true) or the outer edges (false, the default) of the corner pixels. */
  readonly alignCorners?: boolean;
}

/** torch's grid_sampler_unnormalize: a normalised coordinate in [-1, 1] to a pixel coordinate, same float steps. */
function unnormalize(coord: Tensor, size: number, alignCorners: boolean): Tensor {
  const shifted = add(coord, scalar(coord, 1));
  if (alignCorners) return mul(div(shifted, scalar(coord, 2)), scalar(coord, size - 1));
  return div(sub(mul(shifted, scalar(coord, size)), scalar(coord, 1)), scalar(coord, 2));
}

/**
 * Round half to even, as torch's nearest mode does with nearbyint. Built from Floor because the
 * WebGPU EP has no Round: below a half the floor wins, above it the ceiling, at a tie the even one.
 */
function roundHalfEven(v: Tensor): Tensor {
  const f = floor(v);
  const frac = sub(v, f);
  const half = scalar(v, 0.5);
  const up = add(f, scalar(v, 1));
  const even = mul(floor(div(up, scalar(v, 2))), scalar(v, 2));
  return where(less(frac, half), f, where(greater(frac, half), up, even));
}

/** Integer-valued pixel coordinates inside [0, size - 1]. */
const inside = (c: Tensor, size: number) => and(greater(c, scalar(c, -1)), less(c, scalar(c, size)));

/**
 * Reads input [N,C,H,W] at integer pixel columns xs and rows ys ([N,1,K·P]: K corners of P points),
 * zero outside the image as padding_mode 'zeros' does, and sums the K corners with their weights
 * ([N,1,K·P]; none for nearest, where K = 1).
 * Indices are computed in float (exact below 2^24 pixels) and cast to int32, the index type the
 * WebGPU EP handles natively; out-of-range reads go to pixel 0 and are masked to zero.
 */
function sampleAt(input: Tensor, xs: Tensor, ys: Tensor, weights: Tensor | undefined, k: number): Tensor {
  const [n, c, h, w] = input.shape as [number, number, number, number];
  const count = xs.shape[2]!;
  const valid = and(inside(xs, w), inside(ys, h));
  const flat = where(valid, add(mul(ys, scalar(ys, w)), xs), scalar(xs, 0));
  const index = expand(cast(flat, 'int32'), [n, c, count]);
  const values = gatherElements(reshape(input, [n, c, h * w]), index, 2);
  const zero = scalar(values, 0);
  const picked = weights ? mul(values, where(valid, weights, zero)) : where(valid, values, zero);
  return k === 1 ? picked : reduceSum(reshape(picked, [n, c, k, count / k]), [2]);
}

const join = (parts: readonly Tensor[]) => concat(parts, 2);

/**
 * Bilinear: the four pixels around (ix, iy) weighted by the opposite sub-rectangle's area, as torch
 * does; Floor has no gradient, so d/dgrid comes through the weights and d/dinput through the gather.
 */
function bilinear(input: Tensor, ix: Tensor, iy: Tensor): Tensor {
  const one = scalar(ix, 1);
  const [x0, y0] = [floor(ix), floor(iy)];
  const [x1, y1] = [add(x0, one), add(y0, one)];
  const [wx0, wx1, wy0, wy1] = [sub(x1, ix), sub(ix, x0), sub(y1, iy), sub(iy, y0)];
  // Corners in torch's order: north-west, north-east, south-west, south-east.
  const weights = mul(join([wx0, wx1, wx0, wx1]), join([wy0, wy0, wy1, wy1]));
  return sampleAt(input, join([x0, x1, x0, x1]), join([y0, y0, y1, y1]), weights, 4);
}

function checkShapes(input: Tensor, grid: Tensor): void {
  const shapes = `input ${formatShape(input.shape)}, grid ${formatShape(grid.shape)}`;
  if (input.shape.length !== 4 || grid.shape.length !== 4 || grid.shape[3] !== 2 || grid.shape[0] !== input.shape[0]) {
    throw new ShapeError(`GridSample: needs input [N,C,H,W] and grid [N,Ho,Wo,2], got ${shapes}`);
  }
  if (input.dtype !== grid.dtype || !isFloat(input.dtype)) throw new ShapeError(`GridSample: needs float input and grid of one dtype, got ${input.dtype} and ${grid.dtype}`);
}

/**
 * torch.nn.functional.grid_sample with padding_mode 'zeros': input [N,C,H,W] read at grid [N,Ho,Wo,2]
 * of normalised (x, y) in [-1, 1], giving [N,C,Ho,Wo]. Composed of primitives (not ONNX GridSample,
 * whose gradient has no ONNX op), so gradients reach the input and, for bilinear, the grid. As in
 * torch, nearest mode gives the grid no gradient.
 */
export function gridSample(input: Tensor, grid: Tensor, options: GridSampleOptions = {}): Tensor {
  checkShapes(input, grid);
  const { mode = 'bilinear', alignCorners = false } = options;
  const [n, c, h, w] = input.shape as [number, number, number, number];
  const [, ho, wo] = grid.shape as [number, number, number, number];
  const points = reshape(grid, [n, 1, ho * wo, 2]);
  const coord = (i: number) => reshape(slice(points, [3], [i], [i + 1]), [n, 1, ho * wo]);
  const ix = unnormalize(coord(0), w, alignCorners);
  const iy = unnormalize(coord(1), h, alignCorners);
  const out = mode === 'nearest' ? sampleAt(input, roundHalfEven(ix), roundHalfEven(iy), undefined, 1) : bilinear(input, ix, iy);
  return reshape(out, [n, c, ho, wo]);
}
