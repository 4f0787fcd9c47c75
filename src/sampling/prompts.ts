import { SettingsError } from '../errors';

export interface Prompt {
  readonly text: string;
  readonly weight: number;
}

/**
 * A finite number as Python's float() reads it (sign, digits with single underscores, fraction,
 * exponent, surrounding whitespace). inf and nan are left out: as weights they only produce NaN.
 */
const PY_FLOAT = /^\s*[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?\s*$/;

/**
 * clip-diffusion-art's `parse_prompt` (spec §4.1): `text:weight`, weight 1 when absent, URLs kept
 * whole. Upstream splits at the last colon (for http(s) URLs it splits twice and glues the scheme
 * back, which comes to the same) and crashes in float() when what follows is not a number; here
 * such a colon is part of the text ("a:b" → text "a:b", weight 1). Numeric weights give exactly
 * upstream's result, negative ones included.
 */
export function parsePrompt(prompt: string): Prompt {
  const colon = prompt.lastIndexOf(':');
  if (colon >= 0) {
    const weight = prompt.slice(colon + 1);
    if (PY_FLOAT.test(weight)) return { text: prompt.slice(0, colon), weight: Number(weight.replaceAll('_', '')) };
  }
  return { text: prompt, weight: 1 };
}

/**
 * `weights / weights.sum().abs()` in float32 (spec §4.4): the sign pattern is kept. A sum within
 * 1e-3 of 0 is refused, as upstream does ('The weights must not sum to 0.').
 */
export function normalizeWeights(weights: readonly number[]): Float32Array {
  const w = Float32Array.from(weights);
  const sum = Math.fround(Math.abs(w.reduce((acc, v) => Math.fround(acc + v), 0)));
  if (!(sum >= 1e-3) || !Number.isFinite(sum)) {
    throw new SettingsError(`the prompt weights [${weights.join(', ')}] sum to ${sum}: the sum must be finite and not 0 (|sum| at least 1e-3)`);
  }
  return w.map((v) => Math.fround(v / sum));
}

/** An image prompt counts as `cutn` targets (its cutouts), each weighted weight/cutn (spec §4.3). */
export function imagePromptWeights(weight: number, cutn: number): number[] {
  return Array.from({ length: cutn }, () => weight / cutn);
}
