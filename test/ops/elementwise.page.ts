// Page-side ops for the elementwise tests (test/ops/elementwise.test.ts).
// attrs: { slope? } for leakyRelu, { p } for pow, { s } for addScalar/mulScalar (a number, or the string 'NaN' /
// 'Infinity' to test rejection: JSON has no NaN), { shape } for expand.

import type { OpTable } from '../page/registry';

const num = (v: unknown): number => (typeof v === 'string' ? Number(v) : (v as number));

export const OPS: OpTable = {
  neg: ([x], _a, w) => w.neg(x),
  abs: ([x], _a, w) => w.abs(x),
  exp: ([x], _a, w) => w.exp(x),
  log: ([x], _a, w) => w.log(x),
  sqrt: ([x], _a, w) => w.sqrt(x),
  rsqrt: ([x], _a, w) => w.rsqrt(x),
  tanh: ([x], _a, w) => w.tanh(x),
  sigmoid: ([x], _a, w) => w.sigmoid(x),
  relu: ([x], _a, w) => w.relu(x),
  gelu: ([x], _a, w) => w.gelu(x),
  leakyRelu: ([x], a, w) => (a?.slope === undefined ? w.leakyRelu(x) : w.leakyRelu(x, num(a.slope))),
  pow: ([x], a, w) => w.pow(x, num(a.p)),
  addScalar: ([x], a, w) => w.addScalar(x, num(a.s)),
  mulScalar: ([x], a, w) => w.mulScalar(x, num(a.s)),

  add: ([a, b], _a, w) => w.add(a, b),
  sub: ([a, b], _a, w) => w.sub(a, b),
  mul: ([a, b], _a, w) => w.mul(a, b),
  div: ([a, b], _a, w) => w.div(a, b),
  maximum: ([a, b], _a, w) => w.maximum(a, b),
  expand: ([x], a, w) => w.expand(x, a.shape),
  sumToShape: ([g], a, w) => w.sumToShape(g, a.shape, a.alpha ?? 1),

  /** mul(a, b) after b was disposed: must be rejected before any GPU work. */
  mulDisposed: ([a, b], _a, w) => {
    b.dispose();
    return w.mul(a, b);
  },
  /** The same chain as a composite, so gradients flow through several elementwise backward rules at once. */
  chain: ([a, b], _a, w) => w.div(w.sub(w.mul(w.add(a, b), a), w.exp(b)), w.addScalar(w.mulScalar(w.sigmoid(b), 2), 1)),
};
