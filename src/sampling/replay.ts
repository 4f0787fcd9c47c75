import { ShapeError } from '../errors';
import type { StepCoefficients } from './coefficients';
import type { Rng } from './rng';

/**
 * Replaying a recorded reference run (the fixtures of the diffusion and guidance groups): the
 * noise upstream drew and model outputs that reproduce the x̂0 it recorded, so the step maths can be
 * checked number for number without the network that produced them.
 */

/** An Rng whose `fillNormal` hands out the recorded draws in order (upstream's captured `randn_like`). */
export function replayRng(draws: readonly Float32Array[]): Rng {
  let next = 0;
  const refuse = (): number => {
    throw new ShapeError('a replayed noise stream only serves whole recorded tensors (fillNormal)');
  };
  return {
    uniform: refuse,
    normal: refuse,
    fillNormal(out) {
      const draw = draws[next];
      if (!draw) throw new ShapeError(`replayed noise: draw ${next} requested, ${draws.length} recorded`);
      if (draw.length !== out.length) throw new ShapeError(`replayed noise: draw ${next} has ${draw.length} elements, ${out.length} requested`);
      next++;
      out.set(draw);
      return out;
    },
  };
}

/**
 * The ε̂ that makes `predict_xstart_from_eps` give the recorded x̂0 at input x: its inverse, in
 * float64 so the only error left is the reference's own float32 rounding. With `varValues` the
 * output has the learned-variance channels too ([B,2C,H,W], batch 1).
 */
export function modelOutputFor(c: StepCoefficients, x: Float32Array, predXstart: Float32Array, varValues?: Float32Array): Float32Array {
  const eps = Float32Array.from(x, (xi, i) => (c.sqrtRecipAlphaBar * xi - predXstart[i]!) / c.sqrtRecipm1AlphaBar);
  if (!varValues) return eps;
  const out = new Float32Array(2 * eps.length);
  out.set(eps);
  out.set(varValues, eps.length);
  return out;
}

/** The variance values v that give a recorded learned-range log σ²: the inverse of `learnedRangeLogVariance`. */
export function varValuesFor(c: StepCoefficients, logVariance: Float32Array): Float32Array {
  const span = c.logBeta - c.posteriorLogVarianceClipped;
  return logVariance.map((l) => (2 * (l - c.posteriorLogVarianceClipped)) / span - 1);
}
