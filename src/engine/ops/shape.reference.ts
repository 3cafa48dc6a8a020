// float64 CPU references for the shape ops, gatherRows and gradReverse: obviously-right index arithmetic,
// one output element at a time. Pure TypeScript (no GPU imports), used by the tests and benchmarks.

export interface Ref {
  data: Float64Array;
  shape: number[];
}

const size = (s: readonly number[]): number => s.reduce((n, d) => n * d, 1);

/** Row-major strides of `shape`. */
export function strides(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let m = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    st[k] = m;
    m *= shape[k];
  }
  return st;
}

/** The coordinates of flat index i in `shape`. */
function unravel(i: number, shape: readonly number[]): number[] {
  const c = new Array<number>(shape.length);
  for (let k = shape.length - 1; k >= 0; k--) {
    c[k] = i % shape[k];
    i = Math.floor(i / shape[k]);
  }
  return c;
}

const ravel = (c: readonly number[], st: readonly number[]): number => c.reduce((s, v, k) => s + v * st[k], 0);
const axisOf = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

/** y[c] = x[c with its axes reordered]: y's axis k is x's axis dims[k]. */
export function permuteRef(x: Float64Array, shape: readonly number[], dims: readonly number[]): Ref {
  const d = dims.map((a) => axisOf(a, shape.length));
  const outShape = d.map((a) => shape[a]);
  const xs = strides(shape);
  const y = new Float64Array(x.length);
  for (let i = 0; i < y.length; i++) {
    const c = unravel(i, outShape);
    let src = 0;
    for (let k = 0; k < c.length; k++) src += c[k] * xs[d[k]];
    y[i] = x[src];
  }
  return { data: y, shape: outShape };
}

export function transposeRef(x: Float64Array, shape: readonly number[], dim0: number, dim1: number): Ref {
  const a = axisOf(dim0, shape.length);
  const b = axisOf(dim1, shape.length);
  return permuteRef(
    x,
    shape,
    shape.map((_, i) => (i === a ? b : i === b ? a : i)),
  );
}

/**
 * x[..., start:end:step, ...] along `axis`; negative start/end count from the end; end defaults to the axis length
 * (step > 0) or to before the first element (step < 0, as NumPy).
 */
export function sliceRef(
  x: Float64Array,
  shape: readonly number[],
  axis: number,
  start: number,
  end?: number,
  step = 1,
): Ref {
  const a = axisOf(axis, shape.length);
  const len = shape[a];
  const s = start < 0 ? start + len : start;
  const e = end === undefined ? (step > 0 ? len : -1) : end < 0 ? end + len : end;
  const outShape = shape.map((d, i) => (i === a ? Math.ceil(Math.abs(e - s) / Math.abs(step)) : d));
  const xs = strides(shape);
  const y = new Float64Array(size(outShape));
  for (let i = 0; i < y.length; i++) {
    const c = unravel(i, outShape);
    c[a] = s + c[a] * step;
    y[i] = x[ravel(c, xs)];
  }
  return { data: y, shape: outShape };
}

/** The pieces of torch.split(x, sizes, axis), each flattened and joined end to end (how the test page returns them). */
export function splitFlatRef(x: Float64Array, shape: readonly number[], sizes: number | number[], axis: number): Ref {
  const a = axisOf(axis, shape.length);
  const len = shape[a];
  const lens = typeof sizes === 'number' ? [] : sizes;
  if (typeof sizes === 'number')
    for (let at = 0; at < len || lens.length === 0; at += sizes) lens.push(Math.min(sizes, len - at));
  const parts: number[] = [];
  let at = 0;
  for (const l of lens) {
    parts.push(...sliceRef(x, shape, a, at, at + l).data);
    at += l;
  }
  return { data: Float64Array.from(parts), shape: [parts.length] };
}

/** numpy.tile(x, reps): reps and shape padded with leading 1s to the same length, then y[c] = x[c mod shape]. */
export function tileRef(x: Float64Array, shape: readonly number[], reps: readonly number[]): Ref {
  const rank = Math.max(shape.length, reps.length);
  const xsh = [...new Array<number>(rank - shape.length).fill(1), ...shape];
  const rs = [...new Array<number>(rank - reps.length).fill(1), ...reps];
  const outShape = xsh.map((d, k) => d * rs[k]);
  const st = strides(xsh);
  const y = new Float64Array(size(outShape));
  for (let i = 0; i < y.length; i++)
    y[i] =
      x[
        ravel(
          unravel(i, outShape).map((c, k) => c % xsh[k]),
          st,
        )
      ];
  return { data: y, shape: outShape };
}

/** F.pad(x, pads, value=value): pairs from the last axis; y[c] = x[c − before] inside x, else value (negative crops). */
export function padRef(x: Float64Array, shape: readonly number[], pads: readonly number[], value = 0): Ref {
  const r = shape.length;
  const before = shape.map((_, k) => pads[2 * (r - 1 - k)] ?? 0);
  const outShape = shape.map((d, k) => d + before[k] + (pads[2 * (r - 1 - k) + 1] ?? 0));
  const st = strides(shape);
  const y = new Float64Array(size(outShape));
  for (let i = 0; i < y.length; i++) {
    const c = unravel(i, outShape).map((v, k) => v - before[k]);
    y[i] = c.every((v, k) => v >= 0 && v < shape[k]) ? x[ravel(c, st)] : value;
  }
  return { data: y, shape: outShape };
}

/** Inputs joined along an existing axis. */
export function concatRef(xs: Float64Array[], shapes: readonly (readonly number[])[], axis: number): Ref {
  const a = axisOf(axis, shapes[0].length);
  const outShape = shapes[0].map((d, i) => (i === a ? shapes.reduce((s, sh) => s + sh[a], 0) : d));
  const y = new Float64Array(size(outShape));
  for (let i = 0; i < y.length; i++) {
    const c = unravel(i, outShape);
    let k = 0;
    while (c[a] >= shapes[k][a]) c[a] -= shapes[k++][a]; // which input holds this position along the axis
    y[i] = xs[k][ravel(c, strides(shapes[k]))];
  }
  return { data: y, shape: outShape };
}

/** Same-shaped inputs joined along a new axis at `axis`. */
export function stackRef(xs: Float64Array[], shape: readonly number[], axis: number): Ref {
  const a = axisOf(axis, shape.length + 1);
  const outShape = [...shape.slice(0, a), xs.length, ...shape.slice(a)];
  const st = strides(shape);
  const y = new Float64Array(size(outShape));
  for (let i = 0; i < y.length; i++) {
    const c = unravel(i, outShape);
    const [k] = c.splice(a, 1);
    y[i] = xs[k][ravel(c, st)];
  }
  return { data: y, shape: outShape };
}

/** out[k…, :] = table[indices[k…], :] for a (V, D) table. */
export function gatherRowsRef(
  table: Float64Array,
  tableShape: readonly number[],
  indices: readonly number[],
  idxShape?: readonly number[],
): Ref {
  const D = tableShape[1];
  const y = new Float64Array(indices.length * D);
  indices.forEach((v, k) => {
    for (let j = 0; j < D; j++) y[k * D + j] = table[v * D + j];
  });
  return { data: y, shape: [...(idxShape ?? [indices.length]), D] };
}

/** Identity forward; gradReverse's −lambda·gy backward is checked against finite differences of −lambda·x·w. */
export function gradReverseRef(x: Float64Array, shape: readonly number[]): Ref {
  return { data: x.slice(), shape: [...shape] };
}
