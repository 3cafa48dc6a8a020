// Float64 CPU references for the elementwise ops (src/engine/ops/elementwise.ts): the gradient checks and benchmarks compare
// the GPU against these. Plain loops, written for obviousness rather than speed. No GPU imports.

export interface Ref {
  data: Float64Array;
  shape: number[];
}

// ------------------------------------------------------------------------------------------------ erf

/**
 * erf(x) to about 1e-15 absolute, for checking the float32 approximation in unary.wgsl.
 * |x| < 3: erf(x) = 2/√π · e^(-x²) · Σ_k 2^k x^(2k+1) / (1·3·…·(2k+1)), a series of positive terms (no cancellation).
 * |x| ≥ 3: erfc(x) from its continued fraction, erfc(x) = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))),
 *          evaluated bottom-up with enough terms for 1e-16 at x = 3.
 */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 3) {
    let term = a;
    let sum = a;
    for (let k = 1; k < 200 && term > 1e-17 * sum; k++) {
      term *= (2 * a * a) / (2 * k + 1);
      sum += term;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * Math.exp(-a * a) * sum;
  }
  let frac = a;
  for (let k = 120; k >= 1; k--) frac = a + k / 2 / frac;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / frac;
  return Math.sign(x) * (1 - erfc);
}

/** Φ(x), the standard normal CDF, without cancellation in the lower tail. */
export function normalCdf(x: number): number {
  const z = x / Math.SQRT2;
  return z < -3 ? 0.5 * erfcLarge(-z) : 0.5 * (1 + erf(z));
}

function erfcLarge(a: number): number {
  let frac = a;
  for (let k = 120; k >= 1; k--) frac = a + k / 2 / frac;
  return Math.exp(-a * a) / Math.sqrt(Math.PI) / frac;
}

// ----------------------------------------------------------------------------------------------- unary

export const UNARY_REF: Record<string, (x: number, attrs: any) => number> = {
  neg: (x) => -x,
  abs: (x) => Math.abs(x),
  exp: (x) => Math.exp(x),
  log: (x) => Math.log(x),
  sqrt: (x) => Math.sqrt(x),
  rsqrt: (x) => 1 / Math.sqrt(x),
  tanh: (x) => Math.tanh(x),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  relu: (x) => Math.max(x, 0),
  gelu: (x, a) => (a?.approximate === 'tanh' ? geluTanh(x) : x * normalCdf(x)),
  leakyRelu: (x, a) => (x > 0 ? x : (a?.slope ?? 0.01) * x),
  pow: (x, a) => Math.pow(x, a.p),
  addScalar: (x, a) => x + a.s,
  mulScalar: (x, a) => x * a.s,
  erf: (x) => erf(x),
  reciprocal: (x) => 1 / x,
  sin: (x) => Math.sin(x),
  cos: (x) => Math.cos(x),
  softplus: (x, a) => softplus(x, a?.beta ?? 1, a?.threshold ?? 20),
  elu: (x, a) => (x > 0 ? x : (a?.alpha ?? 1) * Math.expm1(x)),
  clip: (x, a) => Math.min(Math.max(x, a.min ?? -Infinity), a.max ?? Infinity),
};

/** PyTorch's gelu(approximate='tanh'). */
export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

/** PyTorch's softplus: ln(1 + e^(βx))/β, or x itself where βx > threshold. */
export function softplus(x: number, beta: number, threshold: number): number {
  return beta * x > threshold ? x : Math.log1p(Math.exp(beta * x)) / beta;
}

/** The reference of a unary op on inputs of `shape`, in the gradcheck's signature. */
export function unaryRef(op: string, shape: number[]): (xs: Float64Array[], attrs: any) => Ref {
  const f = UNARY_REF[op];
  if (!f) throw new Error(`no reference for ${op}`);
  return ([x], attrs) => ({ data: x.map((v) => f(v, attrs)), shape });
}

// ---------------------------------------------------------------------------------------------- binary

/** The broadcast shape of a and b, or null. */
export function broadcastShape(a: number[], b: number[]): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Element of `data` (shape `shape`) read at the multi-index `idx` of a larger broadcast shape. */
function at(data: Float64Array, shape: number[], idx: number[]): number {
  let off = 0;
  const lead = idx.length - shape.length;
  for (let d = 0; d < shape.length; d++) off = off * shape[d] + (shape[d] === 1 ? 0 : idx[lead + d]);
  return data[off];
}

/** Calls f(multi-index, flat index) for every element of `shape` in row-major order. */
export function forEachIndex(shape: number[], f: (idx: number[], flat: number) => void): void {
  const n = shape.reduce((p, d) => p * d, 1);
  const idx = new Array(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    f(idx, flat);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

export const BINARY_REF: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  maximum: (a, b) => Math.max(a, b),
  minimum: (a, b) => Math.min(a, b),
  pow: (a, b) => Math.pow(a, b),
};

/** a ⊙ b with NumPy broadcasting. */
export function binary(op: string, a: Float64Array, aShape: number[], b: Float64Array, bShape: number[]): Ref {
  const f = BINARY_REF[op];
  const shape = broadcastShape(aShape, bShape);
  if (!f || !shape) throw new Error(`reference ${op}: bad op or shapes [${aShape}] [${bShape}]`);
  const data = new Float64Array(shape.reduce((p, d) => p * d, 1));
  forEachIndex(shape, (idx, flat) => (data[flat] = f(at(a, aShape, idx), at(b, bShape, idx))));
  return { data, shape };
}

/** x broadcast to `shape`. */
export function expand(x: Float64Array, xShape: number[], shape: number[]): Ref {
  const data = new Float64Array(shape.reduce((p, d) => p * d, 1));
  forEachIndex(shape, (idx, flat) => (data[flat] = at(x, xShape, idx)));
  return { data, shape };
}

/** g (shape gShape) summed over the axes along which `shape` broadcasts to gShape, times alpha. */
export function sumToShape(g: Float64Array, gShape: number[], shape: number[], alpha = 1): Ref {
  const data = new Float64Array(shape.reduce((p, d) => p * d, 1));
  const lead = gShape.length - shape.length;
  forEachIndex(gShape, (idx, flat) => {
    let off = 0;
    for (let d = 0; d < shape.length; d++) off = off * shape[d] + (shape[d] === 1 ? 0 : idx[lead + d]);
    data[off] += alpha * g[flat];
  });
  return { data, shape };
}

/** cond ? a : b (cond nonzero = true), all three broadcast together. */
export function where(
  c: Float64Array,
  cShape: number[],
  a: Float64Array,
  aShape: number[],
  b: Float64Array,
  bShape: number[],
): Ref {
  const ab = broadcastShape(aShape, bShape);
  const shape = ab && broadcastShape(cShape, ab);
  if (!shape) throw new Error(`reference where: bad shapes [${cShape}] [${aShape}] [${bShape}]`);
  const data = new Float64Array(shape.reduce((p, d) => p * d, 1));
  forEachIndex(shape, (idx, flat) => (data[flat] = at(c, cShape, idx) !== 0 ? at(a, aShape, idx) : at(b, bShape, idx)));
  return { data, shape };
}
