// float64 CPU references for the reductions (tests and benchmarks). Plain loops over every element: obviously right,
// not fast.

export interface RefResult {
  data: Float64Array;
  shape: number[];
}

/** Sorted distinct non-negative axes (undefined = all); throws on bad input like the GPU ops do. */
export function refAxes(rank: number, axes?: number | number[]): number[] {
  if (axes === undefined) return [...Array(rank).keys()];
  const list = (typeof axes === 'number' ? [axes] : axes).map((a) => (a < 0 ? a + rank : a));
  for (const a of list)
    if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`bad axis ${a} for rank ${rank}`);
  if (new Set(list).size !== list.length) throw new Error('duplicate axis');
  return [...list].sort((p, q) => p - q);
}

/**
 * Applies `f` to the values of each reduction, listed in row-major order over the reduced axes, and lays the results
 * out in the output's row-major order.
 */
export function refReduce(
  x: ArrayLike<number>,
  shape: number[],
  axes: number | number[] | undefined,
  keepdim: boolean,
  f: (vals: Float64Array) => number,
): RefResult {
  const red = new Set(refAxes(shape.length, axes));
  const outShape: number[] = [];
  shape.forEach((d, k) => {
    if (!red.has(k)) outShape.push(d);
    else if (keepdim) outShape.push(1);
  });
  const nOut = outShape.reduce((a, b) => a * b, 1);
  const n = nOut === 0 ? 0 : x.length / nOut;
  // ostride[k]: how far the output index moves per step along axis k (0 for reduced axes).
  const ostride = new Array(shape.length).fill(0);
  for (let k = shape.length - 1, s = 1; k >= 0; k--) {
    if (red.has(k)) continue;
    ostride[k] = s;
    s *= shape[k];
  }
  const buckets = Array.from({ length: nOut }, () => new Float64Array(n));
  const filled = new Int32Array(nOut);
  const coord = new Array(shape.length).fill(0);
  let o = 0;
  for (let e = 0; e < x.length; e++) {
    buckets[o][filled[o]++] = x[e];
    for (let k = shape.length - 1; k >= 0; k--) {
      o += ostride[k];
      if (++coord[k] < shape[k]) break;
      o -= ostride[k] * shape[k];
      coord[k] = 0;
    }
  }
  return { data: Float64Array.from(buckets, f), shape: outShape };
}

function total(v: Float64Array): number {
  let s = 0;
  for (const u of v) s += u;
  return s;
}

function argmax(v: Float64Array): number {
  let at = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[at]) at = i;
  return at;
}

export const refSum = (x: ArrayLike<number>, shape: number[], axes?: number | number[], keepdim = false) =>
  refReduce(x, shape, axes, keepdim, total);

export const refMean = (x: ArrayLike<number>, shape: number[], axes?: number | number[], keepdim = false) =>
  refReduce(x, shape, axes, keepdim, (v) => total(v) / v.length);

export const refMax = (x: ArrayLike<number>, shape: number[], axes?: number | number[], keepdim = false) =>
  refReduce(x, shape, axes, keepdim, (v) => v[argmax(v)]);

/** Position of the maximum within each reduction (first of any ties), row-major over the reduced axes. */
export const refArgmax = (x: ArrayLike<number>, shape: number[], axes?: number | number[], keepdim = false) =>
  refReduce(x, shape, axes, keepdim, argmax);

export const refVariance = (
  x: ArrayLike<number>,
  shape: number[],
  axes?: number | number[],
  keepdim = false,
  unbiased = false,
) =>
  refReduce(x, shape, axes, keepdim, (v) => {
    const m = total(v) / v.length;
    let d = 0;
    for (const u of v) d += (u - m) ** 2;
    return d / (v.length - (unbiased ? 1 : 0));
  });

function argmin(v: Float64Array): number {
  let at = 0;
  for (let i = 1; i < v.length; i++) if (v[i] < v[at]) at = i;
  return at;
}

export const refMin = (x: ArrayLike<number>, shape: number[], axes?: number | number[], keepdim = false) =>
  refReduce(x, shape, axes, keepdim, (v) => (v.length ? v[argmin(v)] : Infinity));

/** Position of the minimum within each reduction (first of any ties), row-major over the reduced axes. */
export const refArgmin = (x: ArrayLike<number>, shape: number[], axes?: number | number[], keepdim = false) =>
  refReduce(x, shape, axes, keepdim, argmin);

export const refProd = (x: ArrayLike<number>, shape: number[], axes?: number | number[], keepdim = false) =>
  refReduce(x, shape, axes, keepdim, (v) => v.reduce((p, u) => p * u, 1));

/** Running sum along `axis` (negative from the end); a scalar is one element along axis 0. */
export function refCumsum(x: ArrayLike<number>, shape: number[], axis: number): RefResult {
  const rank = Math.max(1, shape.length);
  const k = axis < 0 ? axis + rank : axis;
  const len = shape[k] ?? 1;
  const inner = shape.slice(k + 1).reduce((a, b) => a * b, 1);
  const y = Float64Array.from(x);
  for (let e = 0; e < y.length; e++) if (Math.floor(e / inner) % len > 0) y[e] += y[e - inner];
  return { data: y, shape: [...shape] };
}
