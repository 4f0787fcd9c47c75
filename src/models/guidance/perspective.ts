import { ShapeError } from '../../errors';
import type { Point } from './cutout-params';

/** Solves A·c = b (8 × 8) by Gaussian elimination with partial pivoting, in float64. */
function solve8(a: number[][], b: number[]): number[] {
  const n = b.length;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (Math.abs(a[pivot]![col]!) < 1e-12) throw new ShapeError('perspective: the corner points are degenerate (singular system)');
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    [b[col], b[pivot]] = [b[pivot]!, b[col]!];
    for (let r = col + 1; r < n; r++) {
      const f = a[r]![col]! / a[col]![col]!;
      for (let k = col; k < n; k++) a[r]![k]! -= f * a[col]![k]!;
      b[r]! -= f * b[col]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r]!;
    for (let k = r + 1; k < n; k++) s -= a[r]![k]! * x[k]!;
    x[r] = s / a[r]![r]!;
  }
  return x;
}

/**
 * torchvision's _get_perspective_coeffs: c0…c7 of the map from end points (output) to start points
 * (input), x = (c0·X + c1·Y + c2)/(c6·X + c7·Y + 1), y = (c3·X + c4·Y + c5)/(…). Solved in float64
 * and rounded to float32 as torchvision ≥ 0.18 does (0.11–0.14 solved in float32, seed-spec §15.13).
 */
export function perspectiveCoefficients(start: readonly Point[], end: readonly Point[]): number[] {
  const a: number[][] = [];
  const b: number[] = [];
  end.forEach(([ex, ey], i) => {
    const [sx, sy] = start[i]!;
    a.push([ex, ey, 1, 0, 0, 0, -sx * ex, -sx * ey], [0, 0, 0, ex, ey, 1, -sy * ex, -sy * ey]);
    b.push(sx, sy);
  });
  return solve8(a, b).map((c) => Math.fround(c));
}
