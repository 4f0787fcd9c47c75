import { createRng } from '../../sampling/rng';

export interface SeededArray {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Seeded parameters for named shapes, made once (SeededWeights draws while a graph is built, so two
 * graphs of one model would get different weights): N(0, 1/fan-in), biases small, norm weights ≈ 1.
 */
export function seededArrays(shapes: Iterable<readonly [string, readonly number[]]>, seed: number): Map<string, SeededArray> {
  const rng = createRng(seed);
  const out = new Map<string, SeededArray>();
  for (const [name, shape] of shapes) {
    const fanIn = shape.length > 1 ? count(shape.slice(1)) : 1;
    const isNormWeight = /(^|\.)(ln_\w*|norm\w*|in_layers\.0|out_layers\.0|out\.0)\.weight$/.test(name);
    const data = rng.fillNormal(new Float32Array(count(shape)));
    for (let i = 0; i < data.length; i++) data[i] = isNormWeight ? 1 + 0.1 * data[i]! : data[i]! / Math.sqrt(fanIn) * (shape.length === 1 ? 0.1 : 1);
    out.set(name, { shape, data });
  }
  return out;
}
