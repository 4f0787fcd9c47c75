// The graph tests' gradient check. It runs graphs, so it lives here rather than in src/graph: the builder imports no runtime.
import { expect } from 'vitest';
import { grad, Graph, opsOffWebGpu, optimize, serialize, type Tensor } from '../../src/graph';
import { hostTensor, type HostTensor, type Runtime } from '../../src/runtime';
import { createRng } from '../../src/sampling/rng';

export type FloatDType = 'float32' | 'float64';

export interface GradCheckSpec {
  /** Builds the function under test from graph inputs created by the checker (one per `inputs` entry). */
  readonly build: (inputs: readonly Tensor[]) => Tensor;
  readonly inputs: readonly { readonly shape: readonly number[]; readonly data?: ArrayLike<number> }[];
  /** Indices of the inputs to differentiate; default all. */
  readonly wrt?: readonly number[];
  readonly dtype?: FloatDType;
}

export interface GradCheckOptions {
  /** Random directions (all wrt inputs at once) and single coordinates to probe. */
  readonly directions?: number;
  readonly coordinates?: number;
  /** Finite-difference step; default 1e-6 in float64, 1e-3 in float32. */
  readonly eps?: number;
  readonly seed?: number;
}

export interface GradCheckResult {
  /** <gradient, v> for each probe direction v. */
  readonly analytic: readonly number[];
  /** (L(x + εv) − L(x − εv)) / 2ε with L = Σ cotangent · output, for the same directions. */
  readonly numeric: readonly number[];
  readonly maxAbsError: number;
  /** Largest |analytic − numeric| / max(|analytic|, |numeric|, 1e-12) over the probes. */
  readonly maxRelError: number;
  /** Op types of the gradient graph that onnxruntime-web's WebGPU EP would run on the CPU. */
  readonly opsOffWebGpu: readonly string[];
}

const asArray = (dtype: FloatDType, values: ArrayLike<number>) => (dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values));

function buildCheckGraph(spec: GradCheckSpec, dtype: FloatDType): { model: Uint8Array; outputShape: readonly number[]; offWebGpu: string[] } {
  const g = new Graph('gradcheck');
  const xs = spec.inputs.map((inp, i) => g.input(`x${i}`, dtype, inp.shape));
  const y = g.output(spec.build(xs), 'y');
  const cot = g.input('cotangent', dtype, y.shape);
  const wrt = (spec.wrt ?? xs.map((_, i) => i)).map((i) => xs[i]!);
  grad([y], wrt, [cot]).forEach((d, k) => g.output(d, `grad${k}`));
  const optimized = optimize(g);
  return { model: serialize(optimized), outputShape: y.shape, offWebGpu: opsOffWebGpu(optimized) };
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/**
 * Checks reverse-mode gradients against central finite differences, running both the gradient
 * graph and the perturbed forwards through the given runtime (so through onnxruntime's kernels).
 */
export async function gradcheck(runtime: Runtime, spec: GradCheckSpec, options: GradCheckOptions = {}): Promise<GradCheckResult> {
  const dtype = spec.dtype ?? 'float64';
  const { directions = 3, coordinates = 3, seed = 1 } = options;
  const eps = options.eps ?? (dtype === 'float64' ? 1e-6 : 1e-3);
  const rng = createRng(seed);
  const { model, outputShape, offWebGpu } = buildCheckGraph(spec, dtype);
  const x0 = spec.inputs.map((inp) => Float64Array.from(inp.data ?? rng.fillNormal(new Float64Array(inp.shape.reduce((a, b) => a * b, 1)))));
  const cot = rng.fillNormal(new Float64Array(outputShape.reduce((a, b) => a * b, 1)));
  const wrt = spec.wrt ?? spec.inputs.map((_, i) => i);
  const session = await runtime.createSession(model);
  try {
    const feeds = (xs: readonly Float64Array[]): Record<string, HostTensor> => ({
      ...Object.fromEntries(xs.map((x, i) => [`x${i}`, hostTensor(dtype, spec.inputs[i]!.shape, asArray(dtype, x))])),
      cotangent: hostTensor(dtype, outputShape, asArray(dtype, cot)),
    });
    const base = await session.run(feeds(x0));
    const grads = wrt.map((_, k) => base[`grad${k}`]!.data as ArrayLike<number>);
    const loss = async (xs: Float64Array[]) => dot(cot, (await session.run(feeds(xs))).y!.data as ArrayLike<number>);
    const probes = probeDirections(x0, wrt, directions, coordinates, rng);
    const analytic: number[] = [];
    const numeric: number[] = [];
    for (const v of probes) {
      analytic.push(wrt.reduce((s, i, k) => s + (v[i] ? dot(grads[k]!, v[i]!) : 0), 0));
      const shifted = (sign: number) => x0.map((x, i) => (v[i] ? x.map((xi, j) => xi + sign * eps * v[i]![j]!) : x));
      numeric.push(((await loss(shifted(1))) - (await loss(shifted(-1)))) / (2 * eps));
    }
    const abs = analytic.map((a, i) => Math.abs(a - numeric[i]!));
    const rel = abs.map((e, i) => e / Math.max(Math.abs(analytic[i]!), Math.abs(numeric[i]!), 1e-12));
    return { analytic, numeric, maxAbsError: Math.max(...abs), maxRelError: Math.max(...rel), opsOffWebGpu: offWebGpu };
  } finally {
    await session.dispose();
  }
}

/** Random unit-variance directions over every wrt input at once, then single coordinates. */
function probeDirections(x0: readonly Float64Array[], wrt: readonly number[], directions: number, coordinates: number, rng: ReturnType<typeof createRng>) {
  const probes: (Float64Array | undefined)[][] = [];
  for (let d = 0; d < directions; d++) probes.push(x0.map((x, i) => (wrt.includes(i) ? rng.fillNormal(new Float64Array(x.length)) : undefined)));
  for (let c = 0; c < coordinates; c++) {
    const which = wrt[c % wrt.length]!;
    const v = new Float64Array(x0[which]!.length);
    v[Math.floor(rng.uniform() * v.length)] = 1;
    probes.push(x0.map((_, i) => (i === which ? v : undefined)));
  }
  return probes;
}

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
