// Page-side ops for the elementwise tests (test/ops/elementwise.test.ts).
// attrs: { slope? } for leakyRelu, { p } for pow, { s } for addScalar/mulScalar (a number, or the string 'NaN' /
// 'Infinity' to test rejection: JSON has no NaN), { shape } for expand, { approximate? } for gelu, { beta?, threshold? }
// for softplus, { alpha? } for elu, { min, max? } for clip (null: that side open).

import type { Tensor } from '../../src/index';
import type { OpTable } from '../page/registry';

/** A scalar attribute: a number, or the name of one JSON cannot carry. */
type Scalar = number | 'NaN' | 'Infinity' | '-Infinity';
const num = (v: Scalar): number => (typeof v === 'string' ? Number(v) : v);

export const OPS = {
  neg: ([x]: [Tensor], _a, w) => w.neg(x),
  abs: ([x]: [Tensor], _a, w) => w.abs(x),
  exp: ([x]: [Tensor], _a, w) => w.exp(x),
  log: ([x]: [Tensor], _a, w) => w.log(x),
  sqrt: ([x]: [Tensor], _a, w) => w.sqrt(x),
  rsqrt: ([x]: [Tensor], _a, w) => w.rsqrt(x),
  tanh: ([x]: [Tensor], _a, w) => w.tanh(x),
  sigmoid: ([x]: [Tensor], _a, w) => w.sigmoid(x),
  relu: ([x]: [Tensor], _a, w) => w.relu(x),
  gelu: ([x]: [Tensor], a: { approximate?: 'none' | 'tanh' } | undefined, w) => w.gelu(x, a ?? {}),
  erf: ([x]: [Tensor], _a, w) => w.erf(x),
  reciprocal: ([x]: [Tensor], _a, w) => w.reciprocal(x),
  sin: ([x]: [Tensor], _a, w) => w.sin(x),
  cos: ([x]: [Tensor], _a, w) => w.cos(x),
  softplus: ([x]: [Tensor], a: { beta?: Scalar; threshold?: Scalar } | undefined, w) =>
    w.softplus(x, num(a?.beta ?? 1), num(a?.threshold ?? 20)),
  elu: ([x]: [Tensor], a: { alpha?: Scalar } | undefined, w) => w.elu(x, num(a?.alpha ?? 1)),
  clip: ([x]: [Tensor], a: { min: Scalar | null; max?: Scalar | null }, w) =>
    w.clip(x, a.min === null ? null : num(a.min), a.max == null ? null : num(a.max)),
  leakyRelu: ([x]: [Tensor], a: { slope?: Scalar } | undefined, w) =>
    a?.slope === undefined ? w.leakyRelu(x) : w.leakyRelu(x, num(a.slope)),
  pow: ([x]: [Tensor], a: { p: Scalar }, w) => w.pow(x, num(a.p)),
  addScalar: ([x]: [Tensor], a: { s: Scalar }, w) => w.addScalar(x, num(a.s)),
  mulScalar: ([x]: [Tensor], a: { s: Scalar }, w) => w.mulScalar(x, num(a.s)),

  add: ([a, b]: [Tensor, Tensor], _a, w) => w.add(a, b),
  sub: ([a, b]: [Tensor, Tensor], _a, w) => w.sub(a, b),
  mul: ([a, b]: [Tensor, Tensor], _a, w) => w.mul(a, b),
  div: ([a, b]: [Tensor, Tensor], _a, w) => w.div(a, b),
  maximum: ([a, b]: [Tensor, Tensor], _a, w) => w.maximum(a, b),
  minimum: ([a, b]: [Tensor, Tensor], _a, w) => w.minimum(a, b),
  powTensor: ([x, p]: [Tensor, Tensor], _a, w) => w.pow(x, p),
  where: ([c, a, b]: [Tensor, Tensor, Tensor], _a, w) => w.where(c, a, b),
  expand: ([x]: [Tensor], a: { shape: number[] }, w) => w.expand(x, a.shape),
  sumToShape: ([g]: [Tensor], a: { shape: number[]; alpha?: number }, w) => w.sumToShape(g, a.shape, a.alpha ?? 1),

  /** mul(a, b) after b was disposed: must be rejected before any GPU work. */
  mulDisposed: ([a, b]: [Tensor, Tensor], _a, w) => {
    b.dispose();
    return w.mul(a, b);
  },
  /** The same chain as a composite, so gradients flow through several elementwise backward rules at once. */
  chain: ([a, b]: [Tensor, Tensor], _a, w) =>
    w.div(w.sub(w.mul(w.add(a, b), a), w.exp(b)), w.addScalar(w.mulScalar(w.sigmoid(b), 2), 1)),
} satisfies OpTable;
