import { expect } from 'vitest';
import type { GradCheckResult } from '../../src/graph';

/**
 * Asserts every probe of a gradient check: |analytic − numeric| ≤ atol + rtol·max(|analytic|, |numeric|).
 * A relative error alone is meaningless where the true directional derivative is zero (softmax is
 * invariant to a key bias, so its gradient is ~1e-14 against a numeric 0), hence the atol; it should
 * sit at the finite-difference noise floor: ~1e-9 in float64, ~1e-3 in float32 with eps ~1e-3.
 */
export function expectGradMatches(r: GradCheckResult, { rtol, atol }: { rtol: number; atol: number }): void {
  const bad = r.analytic
    .map((a, i) => ({ probe: i, analytic: a, numeric: r.numeric[i]! }))
    .filter(({ analytic, numeric }) => !(Math.abs(analytic - numeric) <= atol + rtol * Math.max(Math.abs(analytic), Math.abs(numeric))));
  expect(bad, `probes outside rtol ${rtol}, atol ${atol}`).toEqual([]);
}
