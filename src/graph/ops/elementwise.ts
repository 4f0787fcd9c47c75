import { ShapeError } from '../../errors';
import { broadcastShapes } from '../broadcast';
import { type DType, ONNX_DTYPE } from '../dtype';
import { size, type Tensor } from '../tensor';
import { defineVjp, type VjpContext } from '../vjp';
import { apply, scalar } from './apply';

export { scalar } from './apply';

function binary(opType: string, outDtype?: DType) {
  return (a: Tensor, b: Tensor): Tensor => {
    if (a.dtype !== b.dtype) throw new ShapeError(`${opType}: dtypes ${a.dtype} and ${b.dtype} differ`);
    return apply(opType, [a, b], broadcastShapes(opType, a.shape, b.shape), {}, outDtype);
  };
}

/** A one-input op whose gradient is dy times a local derivative built from x and y. */
function unary(opType: string, derivative?: (x: Tensor, y: Tensor) => Tensor) {
  if (derivative) defineVjp(opType, ({ inputs: [x], outputs: [y], dOutputs: [dy] }) => [mul(dy!, derivative(x!, y!))]);
  return (x: Tensor): Tensor => apply(opType, [x], x.shape);
}

const first = ({ dOutputs: [dy] }: VjpContext) => dy!;

/** A single value broadcast against a larger tensor. */
const isScalarAgainst = (a: Tensor, b: Tensor): boolean => size(a.shape) === 1 && size(b.shape) > 1;

/**
 * onnxruntime's CPU kernels broadcast a scalar first operand on a slow path (a Sub of 6M floats took
 * ~70 ms against ~5 ms with the scalar second), so commutative ops take it second: the result is the
 * same bit for bit.
 */
function commutative(opType: string) {
  const op = binary(opType);
  return (a: Tensor, b: Tensor): Tensor => (isScalarAgainst(a, b) ? op(b, a) : op(a, b));
}

export const add = commutative('Add');
defineVjp('Add', (ctx) => [first(ctx), first(ctx)]);

const subtract = binary('Sub');
/** a − b; a scalar minus a tensor is built as −b + a, which IEEE arithmetic rounds identically (see `commutative`). */
export const sub = (a: Tensor, b: Tensor): Tensor => (isScalarAgainst(a, b) ? add(neg(b), a) : subtract(a, b));
defineVjp('Sub', (ctx) => [first(ctx), neg(first(ctx))]);

export const mul = commutative('Mul');
defineVjp('Mul', ({ inputs: [a, b], dOutputs: [dy] }) => [mul(dy!, b!), mul(dy!, a!)]);

export const div = binary('Div');
// d(a/b)/db = -a/b² = -y/b, reusing the forward output.
defineVjp('Div', ({ inputs: [, b], outputs: [y], dOutputs: [dy] }) => [div(dy!, b!), neg(div(mul(dy!, y!), b!))]);

/** x^p for a constant exponent tensor p (no gradient flows to p). */
export const pow = binary('Pow');
defineVjp('Pow', ({ inputs: [x, p], dOutputs: [dy] }) => [mul(dy!, mul(p!, pow(x!, sub(p!, scalar(p!, 1))))), null]);

export const neg = unary('Neg');
defineVjp('Neg', (ctx) => [neg(first(ctx))]);

export const exp = unary('Exp', (_x, y) => y);
export const log = unary('Log', (x) => reciprocal(x));
export const sqrt = unary('Sqrt', (_x, y) => div(scalar(y, 0.5), y));
export const reciprocal = unary('Reciprocal', (_x, y) => neg(mul(y, y)));
export const tanh = unary('Tanh', (_x, y) => sub(scalar(y, 1), mul(y, y)));
// σ' = y − y², two same-shape ops on the forward output.
export const sigmoid = unary('Sigmoid', (_x, y) => sub(y, mul(y, y)));
export const sin = unary('Sin', (x) => cos(x));
export const cos = unary('Cos', (x) => neg(sin(x)));
export const abs = unary('Abs', (x) => sign(x));
/** torch.sign as Where over comparisons: ONNX Sign has no kernel on onnxruntime-web's WebGPU EP. */
export function sign(x: Tensor): Tensor {
  const zero = scalar(x, 0);
  return where(greater(x, zero), scalar(x, 1), where(less(x, zero), scalar(x, -1), zero));
}
export const asin = unary('Asin', (x) => reciprocal(sqrt(sub(scalar(x, 1), mul(x, x)))));
/** erf'(x) = 2/√π · exp(−x²). */
export const erf = unary('Erf', (x) => mul(scalar(x, 2 / Math.sqrt(Math.PI)), exp(neg(mul(x, x)))));
// Piecewise constant: its derivative is zero almost everywhere, so no cotangent flows.
export const floor = unary('Floor');
defineVjp('Floor', () => [null]);

export const relu = unary('Relu');
defineVjp('Relu', ({ inputs: [x], dOutputs: [dy] }) => [where(greater(x!, scalar(x!, 0)), dy!, scalar(dy!, 0))]);

/** LeakyReLU with torch's default slope 0.01. */
export function leakyRelu(x: Tensor, alpha = 0.01): Tensor {
  return apply('LeakyRelu', [x], x.shape, { alpha: { f: alpha } });
}
defineVjp('LeakyRelu', ({ node, inputs: [x], dOutputs: [dy] }) => {
  const alpha = (node.attributes.alpha as { f: number } | undefined)?.f ?? 0.01;
  return [mul(dy!, where(greater(x!, scalar(x!, 0)), scalar(x!, 1), scalar(x!, alpha)))];
});

// Comparisons give booleans: no gradient.
export const greater = binary('Greater', 'bool');
export const less = binary('Less', 'bool');
export const equal = binary('Equal', 'bool');
export const and = binary('And', 'bool');

/** Elementwise choice; the cotangent goes to the branch that was taken. */
export function where(condition: Tensor, a: Tensor, b: Tensor): Tensor {
  if (condition.dtype !== 'bool') throw new ShapeError(`Where: condition must be bool, got ${condition.dtype}`);
  if (a.dtype !== b.dtype) throw new ShapeError(`Where: dtypes ${a.dtype} and ${b.dtype} differ`);
  const shape = broadcastShapes('Where', broadcastShapes('Where', condition.shape, a.shape), b.shape);
  return apply('Where', [condition, a, b], shape, {}, a.dtype);
}
defineVjp('Where', ({ inputs: [c], dOutputs: [dy] }) => {
  const zero = scalar(dy!, 0);
  return [null, where(c!, dy!, zero), where(c!, zero, dy!)];
});

/** Clamps to [min, max] (either may be omitted); the gradient passes where x was inside. */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  const lo = min === undefined ? x : where(less(x, scalar(x, min)), scalar(x, min), x);
  return max === undefined ? lo : where(greater(lo, scalar(x, max)), scalar(x, max), lo);
}

export function cast(x: Tensor, to: DType): Tensor {
  return apply('Cast', [x], x.shape, { to: { i: ONNX_DTYPE[to] } }, to);
}
defineVjp('Cast', ({ inputs: [x], dOutputs: [dy] }) => [cast(dy!, x!.dtype)]);
