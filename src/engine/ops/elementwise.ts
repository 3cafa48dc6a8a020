// Elementwise ops: unary maps, scalar arithmetic, and binary ops with NumPy broadcasting, each with its backward.
//
// Four kernels do all the work: unary.wgsl (y = f(x)), unary_grad.wgsl (gx = gy·f'(x) in one launch), binary.wgsl
// (y = a ⊙ b, broadcast through per-input strides, with a vec4 fast path when no input is broadcast) and
// binary_grad.wgsl (the gradients of div, maximum, minimum and pow, which need both inputs); where.wgsl selects
// between two broadcast inputs. The gradient of a broadcast input is summed back to its shape with sum() from
// reduce.ts (sumToShape below). Adding an op to a family is a case in the kernel's switch and a line in its enum.

import { runtime } from '../engine';
import { check, fmtShape, type Shape } from '../errors';
import { grid1d, kernel } from '../runtime';
import { assertLive, checkShape, empty, noGrad, record, sameShape, Tensor } from '../tensor';
import { broadcastAxes, broadcastShapes, broadcastStrides, collapseAxes } from '../broadcast';
import { sum } from './reduce';
import { zeros } from '../creation';
import unarySrc from '../../../kernels/elementwise/unary.wgsl';
import unaryGradSrc from '../../../kernels/elementwise/unary_grad.wgsl';
import binarySrc from '../../../kernels/elementwise/binary.wgsl';
import binaryGradSrc from '../../../kernels/elementwise/binary_grad.wgsl';
import whereSrc from '../../../kernels/elementwise/where.wgsl';

const UNARY_PARAMS = { n: 'u32', s: 'f32', t: 'f32' } as const;
const UNARY = kernel('unary', unarySrc, { params: UNARY_PARAMS, buffers: { x: 'read', y: 'read_write' } });
const UNARY_GRAD = kernel('unary_grad', unaryGradSrc, {
  params: UNARY_PARAMS,
  buffers: { x: 'read', gy: 'read', gx: 'read_write' },
});
const BROADCAST_PARAMS = { n: 'u32', axes: 'array<vec4<u32>, 8>' } as const;
const BINARY = kernel('binary', binarySrc, {
  params: BROADCAST_PARAMS,
  buffers: { a: 'read', b: 'read', y: 'read_write' },
});
const BINARY_GRAD = kernel('binary_grad', binaryGradSrc, {
  params: BROADCAST_PARAMS,
  buffers: { gy: 'read', a: 'read', b: 'read', g: 'read_write' },
});
const WHERE = kernel('where', whereSrc, {
  params: BROADCAST_PARAMS,
  buffers: { c: 'read', a: 'read', b: 'read', y: 'read_write' },
});

// ------------------------------------------------------------------------------------------------ unary

/** Op numbers shared with unary.wgsl / unary_grad.wgsl. */
const enum U {
  Neg = 0,
  Abs,
  Exp,
  Log,
  Sqrt,
  Rsqrt,
  Tanh,
  Sigmoid,
  Relu,
  Gelu,
  LeakyRelu,
  Pow,
  AddScalar,
  MulScalar,
  Erf,
  Reciprocal,
  Sin,
  Cos,
  Softplus,
  Elu,
  GeluTanh,
  Clip,
}

/** y = f(x) for the op `op` (scalar parameters `s`, `t` where the op has them). */
function unary(op: U, x: Tensor, s = 0, t = 0): Tensor {
  const y = empty(x.shape, 'unary');
  runtime().dispatch({
    kernel: UNARY,
    constants: { OP: op },
    params: { n: x.size, s, t },
    buffers: { x: x.buffer, y: y.buffer },
    groups: grid1d(Math.ceil(x.size / 4), 64),
  });
  return y;
}

/** gx = gy · f'(x), fused. */
function unaryGrad(op: U, x: Tensor, gy: Tensor, s = 0, t = 0): Tensor {
  const gx = empty(x.shape, 'unary backward');
  runtime().dispatch({
    kernel: UNARY_GRAD,
    constants: { OP: op },
    params: { n: x.size, s, t },
    buffers: { x: x.buffer, gy: gy.buffer, gx: gx.buffer },
    groups: grid1d(Math.ceil(x.size / 4), 64),
  });
  return gx;
}

/** A unary op whose derivative is computed from its input x by unary_grad.wgsl. */
function mapWithGrad(name: string, op: U, x: Tensor, s = 0, t = 0): Tensor {
  assertLive(name, x);
  const y = unary(op, x, s, t); //                                            y: x's shape
  return record(y, name, [x], (gy) => [unaryGrad(op, x, gy, s, t)]);
}

/**
 * Records y, which a fused kernel already computed as act(x) exactly as unary.wgsl does (matmul's activation in its
 * store), with act's backward: the tape of relu(x), gelu(x) or tanh(x) without its launch.
 */
export function recordActivation(act: 'relu' | 'gelu' | 'tanh', x: Tensor, y: Tensor): Tensor {
  const op = { relu: U.Relu, gelu: U.Gelu, tanh: U.Tanh }[act];
  return record(y, act, [x], (gy) => [unaryGrad(op, x, gy)]);
}

function checkScalar(op: string, name: string, v: unknown, x: Tensor): asserts v is number {
  check(typeof v === 'number' && Number.isFinite(v), op, `${name} must be a finite number, got ${String(v)}`, [
    x.shape,
  ]);
}

/** y = -x. */
export function neg(x: Tensor): Tensor {
  assertLive('neg', x);
  const y = unary(U.Neg, x);
  return record(y, 'neg', [x], (gy) => [unary(U.Neg, gy)]);
}

/** y = |x|; the gradient at 0 is 0. */
export const abs = (x: Tensor): Tensor => mapWithGrad('abs', U.Abs, x);
/** y = eˣ. */
export const exp = (x: Tensor): Tensor => mapWithGrad('exp', U.Exp, x);
/** Natural log (NaN below 0, -∞ at 0). */
export const log = (x: Tensor): Tensor => mapWithGrad('log', U.Log, x);
/** y = √x (NaN below 0). */
export const sqrt = (x: Tensor): Tensor => mapWithGrad('sqrt', U.Sqrt, x);
/** y = 1/√x. */
export const rsqrt = (x: Tensor): Tensor => mapWithGrad('rsqrt', U.Rsqrt, x);
/** y = tanh x. */
export const tanh = (x: Tensor): Tensor => mapWithGrad('tanh', U.Tanh, x);
/** y = 1 / (1 + e⁻ˣ). */
export const sigmoid = (x: Tensor): Tensor => mapWithGrad('sigmoid', U.Sigmoid, x);
/** y = max(x, 0); the gradient at 0 is 0. */
export const relu = (x: Tensor): Tensor => mapWithGrad('relu', U.Relu, x);
/**
 * GELU. By default exact, y = x·Φ(x) with Φ the standard normal CDF, from an erf approximation (series near 0,
 * Abramowitz & Stegun 7.1.26 beyond; absolute error ≲ 2e-7). `approximate: 'tanh'` gives PyTorch's
 * approximate='tanh', y = x/2·(1 + tanh(√(2/π)(x + 0.044715x³))).
 */
export function gelu(x: Tensor, opts: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  const a = opts.approximate ?? 'none';
  check(a === 'none' || a === 'tanh', 'gelu', `approximate must be 'none' or 'tanh', got ${String(a)}`, [x.shape]);
  return mapWithGrad('gelu', a === 'tanh' ? U.GeluTanh : U.Gelu, x);
}
/** erf(x) (absolute error ≲ 1.5e-7, the approximation behind gelu). */
export const erf = (x: Tensor): Tensor => mapWithGrad('erf', U.Erf, x);
/** y = 1/x (±∞ at ±0). */
export const reciprocal = (x: Tensor): Tensor => mapWithGrad('reciprocal', U.Reciprocal, x);
/** y = sin x (own range reduction: SwiftShader's built-in is off by up to 2e-4 on [-10, 10]). */
export const sin = (x: Tensor): Tensor => mapWithGrad('sin', U.Sin, x);
/** y = cos x (the same range reduction as sin). */
export const cos = (x: Tensor): Tensor => mapWithGrad('cos', U.Cos, x);

/** y = ln(1 + e^(βx))/β, and y = x where βx > threshold (PyTorch's softplus, gradient included). β must be > 0. */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  assertLive('softplus', x);
  checkScalar('softplus', 'beta', beta, x);
  checkScalar('softplus', 'threshold', threshold, x);
  check(beta > 0, 'softplus', `beta must be positive, got ${beta}`, [x.shape]);
  return mapWithGrad('softplus', U.Softplus, x, beta, threshold);
}

/** y = x for x > 0, α(eˣ − 1) otherwise; the gradient at 0 is α (PyTorch's). */
export function elu(x: Tensor, alpha = 1): Tensor {
  assertLive('elu', x);
  checkScalar('elu', 'alpha', alpha, x);
  return mapWithGrad('elu', U.Elu, x, alpha);
}

/**
 * x clamped to [min, max] (torch.clamp); null leaves that side open, but not both. The gradient passes where
 * min ≤ x ≤ max, bounds included (PyTorch's convention), and is 0 outside. min > max is refused (PyTorch would
 * return max everywhere).
 */
export function clip(x: Tensor, min: number | null, max: number | null = null): Tensor {
  assertLive('clip', x);
  check(min !== null || max !== null, 'clip', 'needs at least one of min and max', [x.shape]);
  if (min !== null) checkScalar('clip', 'min', min, x);
  if (max !== null) checkScalar('clip', 'max', max, x);
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  check(lo <= hi, 'clip', `min ${lo} is above max ${hi}`, [x.shape]);
  return mapWithGrad('clip', U.Clip, x, lo, hi);
}

/** y = x for x > 0, slope·x otherwise (the gradient at 0 is `slope`). */
export function leakyRelu(x: Tensor, slope = 0.01): Tensor {
  assertLive('leakyRelu', x);
  checkScalar('leakyRelu', 'slope', slope, x);
  return mapWithGrad('leakyRelu', U.LeakyRelu, x, slope);
}

/**
 * y = x^p. Integer p accepts negative x (odd powers keep the sign); non-integer p gives NaN for negative x. p = 0
 * gives 1 everywhere. p may be a tensor, broadcast with x (PyTorch's conventions for the gradients: ∂y/∂x = p·x^(p-1)
 * except 0 where p = 0; ∂y/∂p = y·ln x except 0 where x = 0 and p ≥ 0, and NaN for x < 0, since ln x is).
 */
export function pow(x: Tensor, p: number | Tensor): Tensor {
  if (p instanceof Tensor) return binaryOp('pow', B.Pow, x, p);
  assertLive('pow', x);
  checkScalar('pow', 'exponent', p, x);
  return mapWithGrad('pow', U.Pow, x, p);
}

/** y = x + s. */
export function addScalar(x: Tensor, s: number): Tensor {
  assertLive('addScalar', x);
  checkScalar('addScalar', 'scalar', s, x);
  const y = unary(U.AddScalar, x, s);
  return record(y, 'addScalar', [x], (gy) => [gy]);
}

/** y = s·x. */
export function mulScalar(x: Tensor, s: number): Tensor {
  assertLive('mulScalar', x);
  checkScalar('mulScalar', 'scalar', s, x);
  const y = unary(U.MulScalar, x, s);
  return record(y, 'mulScalar', [x], (gy) => [unary(U.MulScalar, gy, s)]);
}

// ----------------------------------------------------------------------------------------------- binary

/** Op numbers shared with binary.wgsl / binary_grad.wgsl. */
const enum B {
  Add = 0,
  Sub,
  Mul,
  Div,
  Maximum,
  CopyA,
  Minimum,
  Pow,
}

/** Most axes the broadcasting kernels take after collapseAxes (one vec4<u32> of `axes` each). */
const MAX_RANK = 8;

/**
 * How binary.wgsl / binary_grad.wgsl read inputs a and b (shapes `inputs`) broadcast to `shape`: pipeline constants
 * (SAME when nothing is repeated, so no index math; else RANK, ALIGNED when the innermost collapsed axis holds whole
 * vec4s, and A_ROW / B_ROW when an input runs along that axis rather than repeating one element) and params
 * (n, and `axes`: length and both strides per collapsed axis, innermost first). Throws WebgradError(op) past MAX_RANK
 * axes.
 */
function broadcastConfig(
  op: string,
  shape: Shape,
  inputs: [Shape, Shape],
): { constants: Record<string, number>; params: { n: number; axes: number[] } } {
  const n = shapeSizeOf(shape);
  if (inputs.every((s) => shapeSizeOf(s) === n)) return { constants: { SAME: 1 }, params: { n, axes: [] } };
  const { shape: dims, strides } = collapseAxes(
    shape,
    inputs.map((s) => broadcastStrides(s, shape)),
  );
  const r = dims.length;
  check(r <= MAX_RANK, op, `broadcast needs ${r} separate axes; at most ${MAX_RANK} are supported`, [...inputs, shape]);
  const axes: number[] = [];
  for (let k = 0; k < MAX_RANK; k++) {
    const d = r - 1 - k;
    axes.push(...(d >= 0 ? [dims[d], strides[0][d], strides[1][d], 0] : [0, 0, 0, 0]));
  }
  const constants = {
    SAME: 0,
    RANK: r,
    ALIGNED: dims[r - 1] % 4 === 0 ? 1 : 0,
    A_ROW: strides[0][r - 1] === 1 ? 1 : 0,
    B_ROW: strides[1][r - 1] === 1 ? 1 : 0,
  };
  return { constants, params: { n, axes } };
}

function shapeSizeOf(s: Shape): number {
  return s.reduce((n, d) => n * d, 1);
}

/** y = a ⊙ b with broadcasting, no tape. `shape` is the broadcast shape (already checked by the caller, `name`). */
function binaryKernel(op: B, a: Tensor, b: Tensor, shape: Shape, name = 'binary'): Tensor {
  const cfg = broadcastConfig(name, shape, [a.shape, b.shape]);
  const y = empty(shape, name);
  runtime().dispatch({
    kernel: BINARY,
    constants: { OP: op, ...cfg.constants },
    params: cfg.params,
    buffers: { a: a.buffer, b: b.buffer, y: y.buffer },
    groups: grid1d(Math.ceil(y.size / 4), 64),
  });
  return y;
}

/** gy · ∂(a ⊙ b)/∂(input `which`) at y's shape, for div and maximum (binary_grad.wgsl). */
function binaryGradKernel(op: B, which: 0 | 1, gy: Tensor, a: Tensor, b: Tensor): Tensor {
  const cfg = broadcastConfig('binary', gy.shape, [a.shape, b.shape]);
  const g = empty(gy.shape, 'binary backward');
  runtime().dispatch({
    kernel: BINARY_GRAD,
    constants: { OP: op, WHICH: which, ...cfg.constants },
    params: cfg.params,
    buffers: { gy: gy.buffer, a: a.buffer, b: b.buffer, g: g.buffer },
    groups: grid1d(Math.ceil(g.size / 4), 64),
  });
  return g;
}

/** y = a + b (broadcasting). */
export function add(a: Tensor, b: Tensor): Tensor {
  assertLive('add', a, b);
  const shape = broadcastShapes('add', a.shape, b.shape);
  const y = binaryKernel(B.Add, a, b, shape, 'add');
  return record(y, 'add', [a, b], (gy, needs) => [
    needs[0] ? sumToShape(gy, a.shape) : null,
    needs[1] ? sumToShape(gy, b.shape) : null,
  ]);
}

/** y = a - b (broadcasting). */
export function sub(a: Tensor, b: Tensor): Tensor {
  assertLive('sub', a, b);
  const shape = broadcastShapes('sub', a.shape, b.shape);
  const y = binaryKernel(B.Sub, a, b, shape, 'sub');
  return record(y, 'sub', [a, b], (gy, needs) => [
    needs[0] ? sumToShape(gy, a.shape) : null,
    needs[1] ? sumToShape(gy, b.shape, -1) : null,
  ]);
}

/** y = a · b (broadcasting). */
export function mul(a: Tensor, b: Tensor): Tensor {
  assertLive('mul', a, b);
  const shape = broadcastShapes('mul', a.shape, b.shape); //                   y: broadcast(a, b)
  const y = binaryKernel(B.Mul, a, b, shape, 'mul');
  return record(y, 'mul', [a, b], (gy, needs) => [
    needs[0] ? reduceOwned(binaryKernel(B.Mul, gy, b, shape), a.shape) : null, // Σ over a's broadcast axes of gy·b
    needs[1] ? reduceOwned(binaryKernel(B.Mul, gy, a, shape), b.shape) : null,
  ]);
}

/** y = a / b (broadcasting). */
export function div(a: Tensor, b: Tensor): Tensor {
  assertLive('div', a, b);
  const shape = broadcastShapes('div', a.shape, b.shape);
  const y = binaryKernel(B.Div, a, b, shape, 'div');
  return record(y, 'div', [a, b], (gy, needs) => [
    needs[0] ? reduceOwned(binaryKernel(B.Div, gy, b, shape), a.shape) : null, // gy / b
    needs[1] ? reduceOwned(binaryGradKernel(B.Div, 1, gy, a, b), b.shape) : null, // -gy·a / b²
  ]);
}

/** A broadcasting binary op whose two gradients come from binary_grad.wgsl. */
function binaryOp(name: string, op: B, a: Tensor, b: Tensor): Tensor {
  assertLive(name, a, b);
  const shape = broadcastShapes(name, a.shape, b.shape);
  const y = binaryKernel(op, a, b, shape, name);
  return record(y, name, [a, b], (gy, needs) => [
    needs[0] ? reduceOwned(binaryGradKernel(op, 0, gy, a, b), a.shape) : null,
    needs[1] ? reduceOwned(binaryGradKernel(op, 1, gy, a, b), b.shape) : null,
  ]);
}

/**
 * Elementwise max(a, b) (broadcasting). The gradient goes to the larger input; at a tie (a = b) it is split, 1/2 to
 * each, as in PyTorch, so the sum of the two gradients is always gy.
 */
export const maximum = (a: Tensor, b: Tensor): Tensor => binaryOp('maximum', B.Maximum, a, b);
/** Elementwise min(a, b) (broadcasting); the gradient as maximum's, to the smaller input (1/2 each at a tie). */
export const minimum = (a: Tensor, b: Tensor): Tensor => binaryOp('minimum', B.Minimum, a, b);

/**
 * cond ? a : b elementwise, all three broadcast together (torch.where). cond is a float tensor read as a mask
 * (nonzero = true) and takes no gradient; a gets gy where cond holds, b where it does not, each summed back to its
 * shape.
 */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  assertLive('where', cond, a, b);
  const shape = broadcastShapes('where', cond.shape, broadcastShapes('where', a.shape, b.shape));
  const y = select(cond, a, b, shape);
  return record(y, 'where', [cond, a, b], (gy, needs) => {
    if (!needs[1] && !needs[2]) return [null, null, null];
    const zero = zeros([]);
    const ga = needs[1] ? reduceOwned(select(cond, gy, zero, shape), a.shape) : null;
    const gb = needs[2] ? reduceOwned(select(cond, zero, gy, shape), b.shape) : null;
    zero.dispose();
    return [null, ga, gb];
  });
}

/** where's forward without the tape: cond laid out in `shape` (expanded if it broadcasts), then where.wgsl. */
function select(cond: Tensor, a: Tensor, b: Tensor, shape: Shape): Tensor {
  const c = sameShape(cond.shape, shape) ? cond : noGrad(() => expand(cond, shape));
  const cfg = broadcastConfig('where', shape, [a.shape, b.shape]);
  const y = empty(shape, 'where');
  runtime().dispatch({
    kernel: WHERE,
    constants: cfg.constants,
    params: cfg.params,
    buffers: { c: c.buffer, a: a.buffer, b: b.buffer, y: y.buffer },
    groups: grid1d(Math.ceil(y.size / 4), 64),
  });
  if (c !== cond) c.dispose(); // the pool reuses it only after the submit that reads it
  return y;
}

/** x repeated along broadcast axes to `shape` (NumPy broadcast_to); the backward sums over those axes. */
export function expand(x: Tensor, shape: Shape): Tensor {
  assertLive('expand', x);
  checkShape('expand', shape);
  const out = broadcastShapes('expand', x.shape, shape);
  check(sameShape(out, shape), 'expand', `cannot expand ${fmtShape(x.shape)} to ${fmtShape(shape)}`, [x.shape, shape]);
  let y: Tensor;
  if (x.size === shapeSizeOf(shape)) {
    y = x.view(shape); // only unit axes added or renamed: nothing to repeat
  } else {
    const cfg = broadcastConfig('expand', shape, [x.shape, x.shape]);
    y = empty(shape, 'expand');
    runtime().dispatch({
      kernel: BINARY,
      constants: { OP: B.CopyA, ...cfg.constants },
      params: cfg.params,
      buffers: { a: x.buffer, b: x.buffer, y: y.buffer },
      groups: grid1d(Math.ceil(y.size / 4), 64),
    });
  }
  return record(y, 'expand', [x], (gy) => [sumToShape(gy, x.shape)]);
}

// ------------------------------------------------------------------------------------------ sum to shape

/** sumToShape, disposing `g` when a new tensor was made from it. */
function reduceOwned(g: Tensor, shape: Shape): Tensor {
  const r = sumToShape(g, shape);
  if (r !== g) g.dispose();
  return r;
}

/**
 * alpha · (g summed over the axes along which `shape` broadcasts to g's shape), shaped as `shape`: the gradient of a
 * broadcast input (PyTorch's sum_to_size). Returns `g` itself when nothing is summed and alpha is 1 (no copy), a view
 * when only unit axes differ. The sum is reduce.ts's sum(), which reads (outer, R, inner) runs in place.
 * Differentiable: its backward is expand.
 */
export function sumToShape(g: Tensor, shape: Shape, alpha = 1): Tensor {
  assertLive('sumToShape', g);
  checkShape('sumToShape', shape);
  checkScalar('sumToShape', 'alpha', alpha, g);
  const full = broadcastShapes('sumToShape', shape, g.shape);
  check(sameShape(full, g.shape), 'sumToShape', `${fmtShape(shape)} does not broadcast to the gradient's shape`, [
    shape,
    g.shape,
  ]);
  const axes = broadcastAxes(shape, g.shape).filter((d) => g.shape[d] !== 1);
  if (axes.length === 0 && alpha === 1 && sameShape(g.shape, shape)) return g;
  const r = noGrad(() => {
    let v: Tensor;
    if (axes.length === 0)
      v = g.view(shape); // the same elements, unit axes aside
    else {
      const s = sum(g, axes); //                                                g's shape without the summed axes
      v = s.view(shape);
      s.dispose();
    }
    if (alpha === 1) return v;
    const scaled = unary(U.MulScalar, v, alpha); // scale the summed (smaller) tensor
    v.dispose();
    return scaled;
  });
  return record(r, 'sumToShape', [g], (gy) => {
    const scaled = alpha === 1 ? gy : unary(U.MulScalar, gy, alpha);
    const gx = expand(scaled, g.shape); //                                     gy repeated over the summed axes
    if (scaled !== gy) scaled.dispose(); // (a view made by expand keeps the storage alive)
    return [gx];
  });
}
