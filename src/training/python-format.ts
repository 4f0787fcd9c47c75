/**
 * Numbers as Python prints them, for what train.py's logger and file names write: `repr(float)`
 * (shortest round-trip digits, exponent form below 1e-4 and from 1e16) and `'%.Ng' % x` (N
 * significant digits, half-even on the exact binary value, trailing zeros dropped).
 */

/** The exact decimal digits of |x| (up to 100 significant) and its decimal exponent. */
function exactDigits(x: number): { digits: string; exp: number } {
  const [mantissa, exp] = Math.abs(x).toExponential(99).split('e') as [string, string];
  return { digits: mantissa.replace('.', ''), exp: Number(exp) };
}

/** `digits`×10^exp in Python's notation for `%g`/repr: fixed when −4 ≤ exp < `limit`, else d.ddde±XX. */
function layout(sign: string, digits: string, exp: number, limit: number): string {
  const trimmed = digits.replace(/0+$/, '') || '0';
  if (exp >= -4 && exp < limit) {
    if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${trimmed}`;
    const whole = trimmed.padEnd(exp + 1, '0');
    const frac = whole.slice(exp + 1);
    return `${sign}${whole.slice(0, exp + 1)}${frac ? `.${frac}` : ''}`;
  }
  const e = `e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return `${sign}${trimmed[0]}${trimmed.length > 1 ? `.${trimmed.slice(1)}` : ''}${e}`;
}

const special = (x: number): string | undefined => (Number.isNaN(x) ? 'nan' : Number.isFinite(x) ? undefined : x > 0 ? 'inf' : '-inf');

/** Python's repr of a float: 0.1 → '0.1', 1 → '1.0', 1e-5 → '1e-05', 1e16 → '1e+16'. */
export function pyFloatRepr(x: number): string {
  const s = special(x);
  if (s) return s;
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return `${sign}0.0`;
  const [mantissa, exp] = Math.abs(x).toExponential().split('e') as [string, string];
  const text = layout(sign, mantissa.replace('.', ''), Number(exp), 16);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/** `'%.{precision}g' % x`. */
export function pyFormatG(x: number, precision: number): string {
  const s = special(x);
  if (s) return s;
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return `${sign}0`;
  const { digits, exp } = exactDigits(x);
  const head = digits.slice(0, precision);
  const rest = digits.slice(precision);
  const up = rest[0]! > '5' || (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || Number(head.at(-1)) % 2 === 1));
  if (!up) return layout(sign, head, exp, precision);
  const bumped = (BigInt(head) + 1n).toString();
  return bumped.length > precision ? layout(sign, bumped.slice(0, precision), exp + 1, precision) : layout(sign, bumped, exp, precision);
}

/** Python's str() of a logged value: ints as ints, floats as repr. */
export const pyStr = (v: number, isInt: boolean): string => (isInt ? String(v) : pyFloatRepr(v));
