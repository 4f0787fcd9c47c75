import { SettingsError } from '../errors';

/**
 * Which original timesteps a respacing keeps, as guided-diffusion's `respace.space_timesteps` picks
 * them (spec §8.2). `respacing` is what `--sampling` / `timestep_respacing` holds:
 * - `""`: every step (create_gaussian_diffusion turns an empty respacing into `[steps]`);
 * - `"ddimN"`: `range(0, T, s)` for the smallest integer stride s giving exactly N steps;
 * - `"N"` or `"N1,N2,…"`: sections of T split as evenly as possible, each sampled at a float
 *   stride and rounded with Python's `round()` (half to even: "25" keeps 166, 500, 832).
 * Returns the kept steps in ascending order (SpacedDiffusion.timestep_map).
 */
export function spaceTimesteps(numSteps: number, respacing: string): number[] {
  if (!Number.isInteger(numSteps) || numSteps < 2) throw new SettingsError(`diffusion_steps must be an integer >= 2, got ${numSteps}`);
  const spec = respacing.trim();
  const kept = spec === '' ? sections(numSteps, [numSteps], respacing)
    : spec.startsWith('ddim') ? ddimStride(numSteps, parseCount(spec.slice(4), respacing))
      : sections(numSteps, spec.split(',').map((c) => parseCount(c, respacing)), respacing);
  const sorted = [...new Set(kept)].sort((a, b) => a - b);
  // GaussianDiffusion needs two steps: posterior_log_variance_clipped reads posterior_variance[1].
  if (sorted.length < 2) throw new SettingsError(`sampling '${respacing}' keeps ${sorted.length} step(s); at least 2 are needed`);
  return sorted;
}

/** Python int() of a count: optional sign, digits, surrounding whitespace. */
function parseCount(text: string, respacing: string): number {
  if (!/^\s*[+-]?\d+\s*$/.test(text)) throw new SettingsError(`sampling '${respacing}': '${text}' is not a step count (use ddimN or N, e.g. ddim50 or 250)`);
  return Number.parseInt(text, 10);
}

/**
 * `ddimN`: the first stride with exactly N steps. Upstream raises ValueError("cannot create exactly
 * {T} steps with an integer stride") — naming T where it means N — e.g. for ddim150 with T = 1000,
 * although clip-diffusion-art offers ddim150; we raise a clear error instead of inventing a spacing.
 */
function ddimStride(numSteps: number, count: number): number[] {
  for (let stride = 1; stride < numSteps; stride++) {
    if (Math.ceil(numSteps / stride) === count) return Array.from({ length: count }, (_, k) => k * stride);
  }
  const possible = nearbyDdimCounts(numSteps, count);
  throw new SettingsError(`sampling 'ddim${count}': no integer stride gives exactly ${count} of ${numSteps} steps (nearest possible: ${possible})`);
}

/** The ddim counts that exist just below and above `count`, to suggest in the error. */
function nearbyDdimCounts(numSteps: number, count: number): string {
  const counts = new Set<number>();
  for (let stride = 1; stride < numSteps; stride++) counts.add(Math.ceil(numSteps / stride));
  const below = Math.max(...[...counts].filter((c) => c < count), -Infinity);
  const above = Math.min(...[...counts].filter((c) => c > count), Infinity);
  return [below, above].filter(Number.isFinite).map((c) => `ddim${c}`).join(', ') || 'none';
}

/** Plain counts: one section per count, each of size T/len (the first T%len sections one larger). */
function sections(numSteps: number, counts: readonly number[], respacing: string): number[] {
  const sizePer = Math.floor(numSteps / counts.length);
  const extra = numSteps % counts.length;
  const steps: number[] = [];
  let start = 0;
  counts.forEach((count, i) => {
    const size = sizePer + (i < extra ? 1 : 0);
    if (size < count) throw new SettingsError(`sampling '${respacing}': cannot divide a section of ${size} steps into ${count}`);
    const stride = count <= 1 ? 1 : (size - 1) / (count - 1);
    // An accumulated float, as upstream (`cur_idx += frac_stride`), not k * stride.
    let acc = 0;
    for (let k = 0; k < count; k++, acc += stride) steps.push(start + roundHalfEven(acc));
    start += size;
  });
  return steps;
}

/** Python 3 round(): ties go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}
