// Reductions over any set of axes: sum, mean, max, min, prod, variance, and argmax / argmin.
//
// Every reduction is planned the same way (planReduce): size-1 axes are dropped and neighbouring axes of the same
// kind (kept or reduced) are merged into groups. When the reduced axes form one contiguous run, x already is an
// (outer, R, inner) array and the kernels read it in place. Otherwise (e.g. axes [0, 2] of a rank-3 tensor) x is
// first copied into (kept, reduced) order by reduce_permute, which turns it into (outer, R, 1).
//
// A kernel invocation loops serially over its part of R. When there are few outputs and R is long (a full reduction
// of a large tensor), R is cut into chunks: a first dispatch writes (outer, P, inner) partials and a second one
// reduces those over P. The backward kernel works on the original layout directly, so permuting costs one copy in
// the forward pass only.
//
// Sums and extremes over contiguous rows (inner = 1: the last axes, or any axes after the permute) have workgroup and
// subgroup rungs too, a workgroup per output (./rows.ts; the `kernel` option). A middle axis (inner > 1) stays serial:
// there neighbouring invocations already read neighbouring words.

import { runtime } from '../engine';
import { check, fmtShape, type Shape } from '../errors';
import { grid1d, kernel } from '../runtime';
import { assertLive, empty, record, shapeSize, Tensor } from '../tensor';
import { fillInto } from '../creation';
import sumSrc from '../../../kernels/reduce/reduce_sum.wgsl';
import maxSrc from '../../../kernels/reduce/reduce_max.wgsl';
import permuteSrc from '../../../kernels/reduce/reduce_permute.wgsl';
import gradSrc from '../../../kernels/reduce/reduce_grad.wgsl';
import sumVec4Src from '../../../kernels/reduce/reduce_sum_vec4.wgsl';
import prodSrc from '../../../kernels/reduce/reduce_prod.wgsl';
import sumWgSrc from '../../../kernels/reduce/reduce_sum_workgroup.wgsl';
import sumSgSrc from '../../../kernels/reduce/reduce_sum_subgroup.wgsl';
import maxWgSrc from '../../../kernels/reduce/reduce_max_workgroup.wgsl';
import maxSgSrc from '../../../kernels/reduce/reduce_max_subgroup.wgsl';
import { rowGroups, rowRung, subgroupLibrary, type RowKernel, type RowOptions } from './rows';

const REDUCE_SUM = kernel('reduce_sum', sumSrc, {
  params: { n: 'u32', rlen: 'u32', inner: 'u32', chunk: 'u32', nchunks: 'u32', scale: 'f32' },
  buffers: { x: 'read', m: 'read', y: 'read_write' },
});
const REDUCE_MAX = kernel('reduce_max', maxSrc, {
  params: { n: 'u32', rlen: 'u32', inner: 'u32', chunk: 'u32', nchunks: 'u32' },
  buffers: { x: 'read', xi: 'read', y: 'read_write', yi: 'read_write' },
});
const REDUCE_PROD = kernel('reduce_prod', prodSrc, {
  params: { n: 'u32', rlen: 'u32', inner: 'u32', chunk: 'u32', nchunks: 'u32' },
  buffers: { x: 'read', xs: 'read', y: 'read_write', ys: 'read_write' },
});
const REDUCE_PERMUTE = kernel('reduce_permute', permuteSrc, {
  params: { n: 'u32', ng: 'u32', run: 'u32', g: 'array<vec4<u32>, 15>' },
  buffers: { x: 'read', y: 'read_write' },
});
const REDUCE_GRAD = kernel('reduce_grad', gradSrc, {
  params: { n: 'u32', ng: 'u32', scale: 'f32', run: 'u32', g: 'array<vec4<u32>, 15>' },
  buffers: { gy: 'read', a: 'read', b: 'read', gx: 'read_write' },
});
const REDUCE_SUM_VEC4 = kernel('reduce_sum_vec4', sumVec4Src, {
  params: { n: 'u32', rlen4: 'u32', chunk4: 'u32', nchunks: 'u32', scale: 'f32' },
  buffers: { x: 'read', m: 'read', y: 'read_write' },
});

const SUM_ROWS_DECL = {
  params: { n: 'u32', rlen: 'u32', chunk: 'u32', nchunks: 'u32', scale: 'f32' },
  buffers: { x: 'read', m: 'read', y: 'read_write' },
} as const;
const MAX_ROWS_DECL = {
  params: { n: 'u32', rlen: 'u32', chunk: 'u32', nchunks: 'u32' },
  buffers: { x: 'read', xi: 'read', y: 'read_write', yi: 'read_write' },
} as const;
const SUM_ROWS = {
  workgroup: kernel('reduce_sum_workgroup', sumWgSrc, SUM_ROWS_DECL),
  subgroup: kernel(
    'reduce_sum_subgroup',
    sumSgSrc,
    SUM_ROWS_DECL,
    subgroupLibrary('reduce/reduce_sum_workgroup.wgsl', sumWgSrc),
  ),
};
const MAX_ROWS = {
  workgroup: kernel('reduce_max_workgroup', maxWgSrc, MAX_ROWS_DECL),
  subgroup: kernel(
    'reduce_max_subgroup',
    maxSgSrc,
    MAX_ROWS_DECL,
    subgroupLibrary('reduce/reduce_max_workgroup.wgsl', maxWgSrc),
  ),
};

/** Most groups of merged axes the permute and gradient kernels take (a header and 15 vec4s fill 256 uniform bytes). */
const MAX_GROUPS = 15;
/** Chunking: aim for about this many invocations in total, and give each at least MIN_CHUNK elements to loop over. */
const TARGET_INVOCATIONS = 1024;
const MIN_CHUNK = 256;
/**
 * On a CPU-emulated adapter a launch costs ~100 µs, as much as summing ~10⁵ floats on one core: two-pass sums of at
 * most this many elements (bias gradients, broadcast gradients) run as one folded dispatch instead (reduce_sum FOLD).
 */
const FOLD_MAX = 1 << 17;
let folding = true;
/** Turns the folded one-dispatch sums off or on (for tests and benchmarks: folded and two-pass agree bit for bit). */
export function setSumFolding(on: boolean): void {
  folding = on;
}
/**
 * Elements per invocation of the elementwise-shaped kernels (permute, gradient): SwiftShader pays ~10 ns per
 * invocation, so 64 elements each is 3-4x faster on large tensors; small tensors keep at least ~1024 invocations.
 */
const MAX_RUN = 64;
const runLength = (n: number): number => Math.max(1, Math.min(MAX_RUN, Math.floor(n / 1024)));
/** Arg-max positions are stored as exact f32 integers. */
const MAX_INDEX = 1 << 24;

// ------------------------------------------------------------------------------------------------- planning

interface Group {
  size: number;
  reduced: boolean;
}

interface Plan {
  /** Output shape (reduced axes removed, or kept as 1 with keepdim). */
  outShape: number[];
  /** Elements per reduction and number of outputs. */
  n: number;
  nOut: number;
  /** x as merged groups (size-1 axes dropped), row-major. */
  groups: Group[];
  /** x as (outer, R, inner) when the reduced axes are one contiguous run (or none), else null. */
  rows: { outer: number; r: number; inner: number } | null;
}

/** Sorted, distinct, non-negative axes (undefined or null: all); throws a WebgradError naming `op` and the shape. */
function normalizeAxes(op: string, shape: Shape, axes: number | number[] | undefined): number[] {
  const rank = shape.length;
  if (axes == null) return [...shape.keys()];
  const list = typeof axes === 'number' ? [axes] : axes;
  check(Array.isArray(list), op, `axes must be a number or an array of numbers, got ${String(axes)}`, [shape]);
  const seen = new Set<number>();
  for (const a of list) {
    check(Number.isInteger(a), op, `axis ${String(a)} is not an integer`, [shape]);
    check(a >= -rank && a < rank, op, `axis ${a} is out of range for rank ${rank}`, [shape]);
    const k = a < 0 ? a + rank : a;
    check(!seen.has(k), op, `axis ${a} appears more than once in ${fmtShape(list)}`, [shape]);
    seen.add(k);
  }
  return [...seen].sort((p, q) => p - q);
}

function planReduce(op: string, shape: Shape, axesArg: number | number[] | undefined, keepdim: boolean): Plan {
  check(typeof keepdim === 'boolean', op, `keepdim must be a boolean, got ${String(keepdim)}`, [shape]);
  const axes = new Set(normalizeAxes(op, shape, axesArg));
  const outShape: number[] = [];
  const groups: Group[] = [];
  let n = 1;
  shape.forEach((d, k) => {
    const reduced = axes.has(k);
    if (reduced) n *= d;
    if (!reduced) outShape.push(d);
    else if (keepdim) outShape.push(1);
    if (d === 1) return;
    const last = groups[groups.length - 1];
    if (last && last.reduced === reduced) last.size *= d;
    else groups.push({ size: d, reduced });
  });
  const many = `reduces ${groups.length} alternating runs of kept and reduced axes; at most ${MAX_GROUPS} are supported`;
  check(groups.length <= MAX_GROUPS, op, many, [shape]);
  const nOut = shapeSize(outShape);
  const runs = groups.filter((g) => g.reduced).length;
  let rows: Plan['rows'] = null;
  if (runs === 0) rows = { outer: nOut, r: 1, inner: 1 };
  else if (runs === 1) {
    const at = groups.findIndex((g) => g.reduced);
    const prod = (gs: Group[]) => gs.reduce((s, g) => s * g.size, 1);
    rows = { outer: prod(groups.slice(0, at)), r: groups[at].size, inner: prod(groups.slice(at + 1)) };
  }
  return { outShape, n, nOut, groups, rows };
}

// -------------------------------------------------------------------------------------------------- forward

type Kind = 'sum' | 'sqdev' | 'max' | 'min' | 'prod';

/**
 * One dispatch of reduce_sum (or reduce_sum_vec4): (outer, len, inner) → (outer, nChunks, inner), each output the
 * scaled sum of one chunk of `chunkLen` along len; with `m`, of squared deviations from m[o, i].
 */
function sumPass(
  rung: RowKernel,
  src: Tensor,
  m: Tensor | null,
  outer: number,
  len: number,
  inner: number,
  chunkLen: number,
  nChunks: number,
  scale: number,
  shape: number[],
): Tensor {
  const y = empty(shape, 'sum');
  const n = outer * nChunks * inner;
  if (rung !== 'serial' && inner === 1) {
    runtime().dispatch({
      kernel: SUM_ROWS[rung],
      constants: { SQDEV: m ? 1 : 0 },
      params: { n, rlen: len, chunk: chunkLen, nchunks: nChunks, scale },
      buffers: { x: src.buffer, m: (m ?? src).buffer, y: y.buffer }, // m: never read without SQDEV
      groups: rowGroups(n),
    });
    return y;
  }
  // Contiguous rows a multiple of 4 long are read as vec4s (about 20% faster on SwiftShader than 4 scalar loads).
  const vec4 = inner === 1 && len % 4 === 0 && chunkLen % 4 === 0;
  runtime().dispatch({
    kernel: vec4 ? REDUCE_SUM_VEC4 : REDUCE_SUM,
    constants: { SQDEV: m ? 1 : 0 },
    params: vec4
      ? { n, rlen4: len / 4, chunk4: chunkLen / 4, nchunks: nChunks, scale }
      : { n, rlen: len, inner, chunk: chunkLen, nchunks: nChunks, scale },
    buffers: { x: src.buffer, m: (m ?? src).buffer, y: y.buffer }, // m: never read without SQDEV
    groups: grid1d(n, 64),
  });
  return y;
}

/**
 * Both passes of a two-pass sum in one dispatch of reduce_sum with FOLD = 1: bit for bit sumPass over chunks, then
 * sumPass over their partials (both scalar, as inner > 1 makes them), with outer·inner invocations.
 */
function foldedSumPass(
  src: Tensor,
  m: Tensor | null,
  outer: number,
  len: number,
  inner: number,
  chunkLen: number,
  nChunks: number,
  scale: number,
  shape: number[],
): Tensor {
  const y = empty(shape, 'sum');
  const n = outer * inner;
  runtime().dispatch({
    kernel: REDUCE_SUM,
    constants: { SQDEV: m ? 1 : 0, FOLD: 1 },
    params: { n, rlen: len, inner, chunk: chunkLen, nchunks: nChunks, scale },
    buffers: { x: src.buffer, m: (m ?? src).buffer, y: y.buffer },
    groups: grid1d(n, 64),
  });
  return y;
}

/**
 * One dispatch of reduce_max (min: the minimum): like sumPass, plus the arg-max (taken over from `srcIdx` when
 * combining partials).
 */
function maxPass(
  rung: RowKernel,
  min: boolean,
  src: Tensor,
  srcIdx: Tensor | null,
  outer: number,
  len: number,
  inner: number,
  chunkLen: number,
  nChunks: number,
  shape: number[],
): { y: Tensor; idx: Tensor } {
  const y = empty(shape, 'max');
  const idx = empty(shape, 'max');
  const n = outer * nChunks * inner;
  const rows = rung !== 'serial' && inner === 1;
  runtime().dispatch({
    kernel: rows ? MAX_ROWS[rung] : REDUCE_MAX,
    constants: { COMBINE: srcIdx ? 1 : 0, MIN: min ? 1 : 0 },
    params: rows
      ? { n, rlen: len, chunk: chunkLen, nchunks: nChunks }
      : { n, rlen: len, inner, chunk: chunkLen, nchunks: nChunks },
    buffers: { x: src.buffer, xi: (srcIdx ?? src).buffer, y: y.buffer, yi: idx.buffer },
    groups: rows ? rowGroups(n) : grid1d(n, 64),
  });
  return { y, idx };
}

/**
 * One dispatch of reduce_prod: like maxPass, with `saved` the (product of non-zeros, count of zeros) pairs per output
 * (read from `srcSaved` when combining partials).
 */
function prodPass(
  src: Tensor,
  srcSaved: Tensor | null,
  outer: number,
  len: number,
  inner: number,
  chunkLen: number,
  nChunks: number,
  shape: number[],
): { y: Tensor; idx: Tensor } {
  const y = empty(shape, 'prod');
  const n = outer * nChunks * inner;
  const saved = empty([2 * n], 'prod');
  runtime().dispatch({
    kernel: REDUCE_PROD,
    constants: { COMBINE: srcSaved ? 1 : 0 },
    params: { n, rlen: len, inner, chunk: chunkLen, nchunks: nChunks },
    buffers: { x: (srcSaved ?? src).buffer, xs: (srcSaved ?? src).buffer, y: y.buffer, ys: saved.buffer },
    groups: grid1d(n, 64),
  });
  return { y, idx: saved };
}

/**
 * How a reduction of (outer, R, inner) over R cuts R: `parts` chunks of `chunk` rows (parts = 1: one pass). Kernels
 * that fuse such a sum (affine_grad.wgsl) take the same cut, so that they sum in the same order.
 */
export function sumChunks(outer: number, r: number, inner: number): { chunk: number; parts: number } {
  let parts = Math.min(Math.ceil(r / MIN_CHUNK), Math.ceil(TARGET_INVOCATIONS / Math.max(1, outer * inner)));
  if (parts < 2) parts = 1;
  const chunk = Math.ceil(r / parts / 4) * 4; // a multiple of 4, so chunks of vec4-readable rows stay vec4-aligned
  return { chunk, parts: Math.ceil(r / chunk) };
}

/**
 * Reduces `x` viewed as (outer, R, inner) over R into outShape (outer·inner elements in row-major order), each pass
 * with `rung` as the caller asked, else the tuning's rung for that pass's row length (rows.ts).
 * sum/sqdev multiply by `scale` (sqdev sums squared deviations from m[o, i]); max and min also return the arg-max r as
 * f32 (in `idx`), prod its (product of non-zeros, count of zeros) pairs.
 * With few outputs and long rows, R is cut into P chunks: partials (outer, P, inner), then a second pass over P.
 */
function reduceRows(
  op: string,
  opts: RowOptions | undefined,
  kind: Kind,
  x: Tensor,
  outShape: number[],
  outer: number,
  r: number,
  inner: number,
  scale: number,
  m?: Tensor,
): { y: Tensor; idx?: Tensor } {
  const { chunk, parts } = sumChunks(outer, r, inner);
  const partShape = [outer * parts * inner];
  const rung1 = rowRung(op, opts, parts === 1 ? r : chunk, [x.shape]); // the first pass's rows, then the second's
  const rung2 = rowRung(op, opts, parts, [x.shape]);

  if (kind === 'max' || kind === 'min' || kind === 'prod') {
    // prod has the serial rung only.
    const pass = (
      rung: RowKernel,
      src: Tensor,
      saved: Tensor | null,
      len: number,
      cl: number,
      nc: number,
      s: number[],
    ) =>
      kind === 'prod'
        ? prodPass(src, saved, outer, len, inner, cl, nc, s)
        : maxPass(rung, kind === 'min', src, saved, outer, len, inner, cl, nc, s);
    if (parts === 1) return pass(rung1, x, null, r, r, 1, outShape);
    const first = pass(rung1, x, null, r, chunk, parts, partShape);
    const out = pass(rung2, first.y, first.idx, parts, parts, 1, outShape);
    first.y.dispose();
    first.idx.dispose();
    return out;
  }
  const dev = kind === 'sqdev' ? m! : null;
  if (parts === 1) return { y: sumPass(rung1, x, dev, outer, r, inner, r, 1, scale, outShape) };
  // The serial kernel's two passes as one dispatch (cpu profile: bias and broadcast gradients; optim.md).
  const serial = rung1 === 'serial' && rung2 === 'serial';
  if (folding && serial && inner > 1 && outer * r * inner <= FOLD_MAX && runtime().tuning.profile === 'cpu')
    return { y: foldedSumPass(x, dev, outer, r, inner, chunk, parts, scale, outShape) };
  // Partial sums of squared deviations combine as plain sums.
  const partial = sumPass(rung1, x, dev, outer, r, inner, chunk, parts, 1, partShape);
  const y = sumPass(rung2, partial, null, outer, parts, inner, parts, 1, scale, outShape);
  partial.dispose();
  return { y };
}

/** x copied into (kept, reduced) order: the (outer = nOut, R = n, inner = 1) array the row kernels want. */
function permuteKeptFirst(x: Tensor, plan: Plan): Tensor {
  const { groups } = plan;
  const xstride: number[] = new Array(groups.length);
  for (let g = groups.length - 1, s = 1; g >= 0; g--) {
    xstride[g] = s;
    s *= groups[g].size;
  }
  const order = [...groups.keys()].sort((a, b) => Number(groups[a].reduced) - Number(groups[b].reduced) || a - b);
  const y = empty([plan.nOut * plan.n], 'reduce');
  const run = runLength(y.size);
  const params = { n: y.size, ng: order.length, run, g: order.flatMap((g) => [groups[g].size, xstride[g], 0, 0]) };
  const groupCount = grid1d(Math.ceil(y.size / run), 64);
  runtime().dispatch({ kernel: REDUCE_PERMUTE, params, buffers: { x: x.buffer, y: y.buffer }, groups: groupCount });
  return y;
}

/** x as an (outer, R, inner) array: itself when the plan allows, else a permuted copy the caller must dispose. */
function asRows(x: Tensor, plan: Plan): { src: Tensor; outer: number; r: number; inner: number; copied: boolean } {
  if (plan.rows) return { src: x, ...plan.rows, copied: false };
  return { src: permuteKeptFirst(x, plan), outer: plan.nOut, r: plan.n, inner: 1, copied: true };
}

/** Runs one reduction of x as planned. */
function reduceForward(
  op: string,
  opts: RowOptions | undefined,
  x: Tensor,
  plan: Plan,
  kind: Kind,
  scale: number,
): { y: Tensor; idx?: Tensor } {
  if (plan.nOut === 0)
    return { y: empty(plan.outShape, 'reduce'), idx: kind === 'sum' ? undefined : empty(plan.outShape, 'reduce') };
  const v = asRows(x, plan);
  const out = reduceRows(op, opts, kind, v.src, plan.outShape, v.outer, v.r, v.inner, scale);
  if (v.copied) v.src.dispose();
  return out;
}

// ------------------------------------------------------------------------------------------------- backward

/**
 * dL/dx from dL/dy for x's shape, broadcasting gy over the reduced axes.
 * mode 0: scale·gy;  1: gy at the saved arg-max only;  2: 2·scale·gy·(x − m);  3: gy · the product of the others.
 */
function reduceGrad(gy: Tensor, x: Tensor, plan: Plan, mode: 0 | 1 | 2 | 3, scale: number, saved?: Tensor): Tensor {
  const gx = empty(x.shape, 'reduce');
  // x as groups; a tensor of all size-1 axes is one group of size 1.
  const groups = plan.groups.length ? plan.groups : [{ size: 1, reduced: false }];
  const quads: number[][] = [];
  let ostride = 1;
  let rstride = 1;
  for (let g = groups.length - 1; g >= 0; g--) {
    const { size, reduced } = groups[g];
    quads[g] = [size, reduced ? 0 : ostride, reduced ? rstride : 0, 0];
    if (reduced) rstride *= size;
    else ostride *= size;
  }
  const run = runLength(x.size);
  runtime().dispatch({
    kernel: REDUCE_GRAD,
    constants: { MODE: mode },
    params: { n: x.size, ng: groups.length, scale, run, g: quads.flat() },
    buffers: { gy: gy.buffer, a: (mode >= 2 ? x : gy).buffer, b: (saved ?? gy).buffer, gx: gx.buffer },
    groups: grid1d(Math.ceil(x.size / run), 64),
  });
  return gx;
}

/**
 * A reduction over an empty axis: every output is the reduction's value for no elements, as NumPy, PyTorch and ONNX
 * define it (sum 0, mean and variance NaN, max −∞ as ONNX's ReduceMax; NumPy and PyTorch raise there instead). x holds
 * no elements, so its gradient is empty too.
 */
function reduceOverEmpty(op: string, x: Tensor, outShape: number[], value: number): Tensor {
  const y = empty(outShape, op);
  fillInto(y, value);
  return record(y, op, [x], () => [empty(x.shape, op)]);
}

// ---------------------------------------------------------------------------------------------------- ops

/**
 * Sum over `axes` (default: all; negative axes count from the end). keepdim leaves the reduced axes as size 1.
 * Over an empty axis: zeros (see reduceOverEmpty for mean, max and variance). `opts.kernel` picks the rung for
 * contiguous rows ('serial', 'workgroup', 'subgroup'; default: the tuning's, see ./rows.ts), as for mean, max, min,
 * variance, argmax and argmin.
 */
export function sum(x: Tensor, axes?: number | number[], keepdim = false, opts?: RowOptions): Tensor {
  assertLive('sum', x);
  const plan = planReduce('sum', x.shape, axes, keepdim);
  rowRung('sum', opts, 0, [x.shape]); // checks the kernel option, whatever the shape
  if (plan.n === 0) return reduceOverEmpty('sum', x, plan.outShape, 0);
  const y = reduceForward('sum', opts, x, plan, 'sum', 1).y; // y: outShape
  return record(y, 'sum', [x], (gy) => [reduceGrad(gy, x, plan, 0, 1)]);
}

/** Arithmetic mean over `axes` (default: all). */
export function mean(x: Tensor, axes?: number | number[], keepdim = false, opts?: RowOptions): Tensor {
  assertLive('mean', x);
  const plan = planReduce('mean', x.shape, axes, keepdim);
  rowRung('mean', opts, 0, [x.shape]);
  if (plan.n === 0) return reduceOverEmpty('mean', x, plan.outShape, NaN); // 0 / 0
  const y = reduceForward('mean', opts, x, plan, 'sum', 1 / plan.n).y;
  return record(y, 'mean', [x], (gy) => [reduceGrad(gy, x, plan, 0, 1 / plan.n)]);
}

/** max or min: the extreme value, with the gradient routed through the saved arg-extreme. */
function extreme(
  op: 'max' | 'min',
  x: Tensor,
  axes: number | number[] | undefined,
  keepdim: boolean,
  opts: RowOptions | undefined,
): Tensor {
  assertLive(op, x);
  const plan = planReduce(op, x.shape, axes, keepdim);
  rowRung(op, opts, 0, [x.shape]);
  if (plan.n === 0) return reduceOverEmpty(op, x, plan.outShape, op === 'max' ? -Infinity : Infinity);
  check(plan.n <= MAX_INDEX, op, `reduces ${plan.n} elements per output; at most 2^24 are supported`, [x.shape]);
  const { y, idx } = reduceForward(op, opts, x, plan, op, 1); // y, idx: outShape
  record(y, op, [x], (gy) => [reduceGrad(gy, x, plan, 1, 1, idx)]);
  if (!y.node) idx!.dispose();
  return y;
}

/**
 * Maximum over `axes` (default: all). The gradient flows to one arg-max per output: on ties, to the first of the
 * tied elements in row-major order over the reduced axes (so a tie never splits or duplicates the gradient).
 */
export function max(x: Tensor, axes?: number | number[], keepdim = false, opts?: RowOptions): Tensor {
  return extreme('max', x, axes, keepdim, opts);
}

/**
 * Minimum over `axes` (default: all; negative axes count from the end), like PyTorch's `amin`; keepdim leaves the
 * reduced axes as size 1. x is differentiable: as for {@link max}, the gradient flows to one arg-min per output, the
 * first of tied minima in row-major order over the reduced axes. Over an empty axis: +∞ (ONNX's ReduceMin).
 */
export function min(x: Tensor, axes?: number | number[], keepdim = false, opts?: RowOptions): Tensor {
  return extreme('min', x, axes, keepdim, opts);
}

/**
 * Product over `axes` (default: all; negative axes count from the end); keepdim leaves the reduced axes as size 1.
 * x is differentiable, and the gradient of each element is the product of the others in its reduction, exact with
 * zeros present (PyTorch's convention: with one zero only that element gets a gradient, with two or more none does).
 * Over an empty axis: ones, the empty product (as NumPy and PyTorch).
 */
export function prod(x: Tensor, axes?: number | number[], keepdim = false): Tensor {
  assertLive('prod', x);
  const plan = planReduce('prod', x.shape, axes, keepdim);
  if (plan.n === 0) return reduceOverEmpty('prod', x, plan.outShape, 1);
  const { y, idx: saved } = reduceForward('prod', undefined, x, plan, 'prod', 1); // y: outShape; saved: 2 per output
  record(y, 'prod', [x], (gy) => [reduceGrad(gy, x, plan, 3, 1, saved)]);
  if (!y.node) saved!.dispose();
  return y;
}

/** argmax or argmin: the saved index of max / min, with the values dropped. */
function argExtreme(
  op: 'argmax' | 'argmin',
  x: Tensor,
  axis: number | undefined,
  keepdim: boolean,
  opts: RowOptions | undefined,
): Tensor {
  assertLive(op, x);
  check(axis === undefined || typeof axis === 'number', op, `axis must be one number, got ${String(axis)}`, [x.shape]);
  const plan = planReduce(op, x.shape, axis, keepdim);
  rowRung(op, opts, 0, [x.shape]);
  const what = axis === undefined ? 'a tensor with no elements' : `axis ${axis}, which is empty`;
  check(plan.n > 0, op, `cannot take the ${op} over ${what} (as PyTorch)`, [x.shape]);
  check(plan.n <= MAX_INDEX, op, `reduces ${plan.n} elements per output; at most 2^24 are supported`, [x.shape]);
  const { y, idx } = reduceForward(op, opts, x, plan, op === 'argmax' ? 'max' : 'min', 1);
  y.dispose();
  return idx!;
}

/**
 * Index of the maximum along `axis` (default: over all elements of x, flattened row-major, as PyTorch's `argmax`
 * without `dim`); keepdim leaves that axis as size 1. Ties go to the first index, as PyTorch. webgrad's tensors are
 * all float32, so the indices are float32 holding exact integers (rows of up to 2^24 elements). Not differentiable:
 * the output does not require grad. An empty axis throws (PyTorch does too: there is no index to return).
 */
export function argmax(x: Tensor, axis?: number, keepdim = false, opts?: RowOptions): Tensor {
  return argExtreme('argmax', x, axis, keepdim, opts);
}

/** Index of the minimum along `axis`: as {@link argmax}, with the first of tied minima. */
export function argmin(x: Tensor, axis?: number, keepdim = false, opts?: RowOptions): Tensor {
  return argExtreme('argmin', x, axis, keepdim, opts);
}

/**
 * Variance over `axes` (default: all): mean((x − mean(x))²), divided by n − 1 instead of n when `unbiased`.
 * Computed in two passes (mean, then squared deviations) rather than E[x²] − E[x]², which cancels catastrophically.
 */
export function variance(
  x: Tensor,
  axes?: number | number[],
  keepdim = false,
  { unbiased = false, kernel }: { unbiased?: boolean } & RowOptions = {},
): Tensor {
  assertLive('variance', x);
  const plan = planReduce('variance', x.shape, axes, keepdim);
  rowRung('variance', { kernel }, 0, [x.shape]);
  if (plan.n === 0) return reduceOverEmpty('variance', x, plan.outShape, NaN);
  const scale = 1 / (plan.n - (unbiased ? 1 : 0)); // unbiased with n = 1 divides by zero, as in PyTorch (NaN)
  let m: Tensor, y: Tensor; // m, y: outShape
  if (plan.nOut === 0) [m, y] = [empty(plan.outShape, 'variance'), empty(plan.outShape, 'variance')];
  else {
    const v = asRows(x, plan); // permuted once, read by both passes
    const opts = { kernel };
    m = reduceRows('variance', opts, 'sum', v.src, plan.outShape, v.outer, v.r, v.inner, 1 / plan.n).y;
    y = reduceRows('variance', opts, 'sqdev', v.src, plan.outShape, v.outer, v.r, v.inner, scale, m).y;
    if (v.copied) v.src.dispose();
  }
  record(y, 'variance', [x], (gy) => [reduceGrad(gy, x, plan, 2, scale, m)]);
  if (!y.node) m.dispose();
  return y;
}
