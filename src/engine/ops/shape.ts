// Shape ops: reshape, flatten, transpose/permute, slice (with a step), split, concat/stack, tile, pad, gatherRows
// (embedding lookup) and gradReverse.
//
// reshape, flatten and gradReverse are free views of x's storage; permute copies through a strided kernel (or is a
// view when only size-1 axes move; a swap of the last two axes goes through a workgroup-memory tile on the gpu
// profile, the `kernel` option's 'tiled'); slice, concat and stack copy contiguous windows. Every backward is written in
// gather form: each gradient element is computed by one invocation that reads what it needs, so no float atomics.

import { runtime } from '../engine';
import { check, fmtShape, type Shape } from '../errors';
import { launchFusions } from '../fusion';
import { grid1d, kernel, type ContractDecl } from '../runtime';
import { assertLive, empty, record, sameShape, shapeSize, Tensor } from '../tensor';
import { mulScalar } from './elementwise';
import permuteSrc from '../../../kernels/shape/permute.wgsl';
import permuteTiledSrc from '../../../kernels/shape/permute_tiled.wgsl';
import { pickRung } from '../tuning';
import sliceSrc from '../../../kernels/shape/slice.wgsl';
import sliceVec4Src from '../../../kernels/shape/slice_vec4.wgsl';
import concatSrc from '../../../kernels/shape/concat.wgsl';
import concatVec4Src from '../../../kernels/shape/concat_vec4.wgsl';
import gatherRowsSrc from '../../../kernels/shape/gather_rows.wgsl';
import gatherRowsVec4Src from '../../../kernels/shape/gather_rows_vec4.wgsl';
import gatherRowsGradSrc from '../../../kernels/shape/gather_rows_grad.wgsl';
import gatherRowsGradVec4Src from '../../../kernels/shape/gather_rows_grad_vec4.wgsl';
import sliceStepSrc from '../../../kernels/shape/slice_step.wgsl';
import sliceStepGradSrc from '../../../kernels/shape/slice_step_grad.wgsl';
import tileSrc from '../../../kernels/shape/tile.wgsl';
import tileGradSrc from '../../../kernels/shape/tile_grad.wgsl';
import padSrc from '../../../kernels/shape/pad.wgsl';

const PERMUTE = kernel('permute', permuteSrc, {
  params: { n: 'u32', chunks: 'u32', shape: 'array<vec4<u32>, 2>', stride: 'array<vec4<u32>, 2>' },
  buffers: { x: 'read', y: 'read_write' },
});
const PERMUTE_TILED = kernel('permute_tiled', permuteTiledSrc, {
  params: { shape: 'array<vec4<u32>, 2>', stride: 'array<vec4<u32>, 2>' },
  buffers: { x: 'read', y: 'read_write' },
});
// Each vec4 rung keeps its scalar rung's contract (counts in vec4s).
const COPY_BUFFERS = { x: 'read', y: 'read_write' } as const;
const SLICE_DECL: ContractDecl = { params: { n: 'u32', yb: 'u32', xb: 'u32', off: 'i32' }, buffers: COPY_BUFFERS };
const CONCAT_DECL: ContractDecl = { params: { n: 'u32', xb: 'u32', yb: 'u32', off: 'u32' }, buffers: COPY_BUFFERS };
const GATHER_DECL: ContractDecl = {
  params: { n: 'u32', d: 'u32' },
  buffers: { table: 'read', idx: 'read', y: 'read_write' },
};
const GATHER_BACKWARD_DECL: ContractDecl = {
  params: { n: 'u32', d: 'u32', v: 'u32', acc: 'u32' },
  buffers: { plan: 'read', gy: 'read', dtable: 'read_write' },
};
const SLICE = kernel('slice', sliceSrc, SLICE_DECL);
const SLICE_VEC4 = kernel('slice_vec4', sliceVec4Src, SLICE_DECL);
const CONCAT = kernel('concat', concatSrc, CONCAT_DECL);
const CONCAT_VEC4 = kernel('concat_vec4', concatVec4Src, CONCAT_DECL);
const GATHER_ROWS = kernel('gather_rows', gatherRowsSrc, GATHER_DECL);
const GATHER_ROWS_VEC4 = kernel('gather_rows_vec4', gatherRowsVec4Src, GATHER_DECL);
const GATHER_ROWS_GRAD = kernel('gather_rows_grad', gatherRowsGradSrc, GATHER_BACKWARD_DECL);
const GATHER_ROWS_GRAD_VEC4 = kernel('gather_rows_grad_vec4', gatherRowsGradVec4Src, GATHER_BACKWARD_DECL);
const STEP_PARAMS = { n: 'u32', inner: 'u32', ylen: 'u32', xlen: 'u32', start: 'i32', step: 'i32' } as const;
const SLICE_STEP = kernel('slice_step', sliceStepSrc, { params: STEP_PARAMS, buffers: COPY_BUFFERS });
const SLICE_STEP_GRAD = kernel('slice_step_grad', sliceStepGradSrc, {
  params: STEP_PARAMS,
  buffers: { gy: 'read', dx: 'read_write' },
});
const AXES = 'array<vec4<u32>, 2>' as const; // up to 8 per-axis numbers, 16-byte entries as uniform arrays need
const TILE = kernel('tile', tileSrc, { params: { n: 'u32', xshape: AXES, reps: AXES }, buffers: COPY_BUFFERS });
const TILE_GRAD = kernel('tile_grad', tileGradSrc, {
  params: { n: 'u32', copies: 'u32', xshape: AXES, reps: AXES },
  buffers: { gy: 'read', dx: 'read_write' },
});
const PAD = kernel('pad', padSrc, {
  params: { n: 'u32', value: 'f32', yshape: AXES, xshape: AXES, add: AXES, sub: AXES },
  buffers: COPY_BUFFERS,
});

/** The largest rank permute's kernel handles (after merging axes that move together). */
export const MAX_PERMUTE_RANK = 6;
/** The largest rank tile (after merging) and pad handle: their kernels take 8 per-axis numbers. */
export const MAX_TILE_PAD_RANK = 8;
const padTo8 = (a: readonly number[]): number[] => [...a, ...new Array<number>(8 - a.length).fill(0)];
const PERMUTE_RUN = 8;

// ------------------------------------------------------------------------------------------------- helpers

/** `axis` as an index in [0, rank), accepting negative axes counted from the end. */
function normAxis(op: string, axis: number, rank: number, shapes: Shape[]): number {
  check(
    Number.isInteger(axis) && axis >= -rank && axis < rank,
    op,
    `axis ${axis} is out of range for rank ${rank}`,
    shapes,
  );
  return axis < 0 ? axis + rank : axis;
}

const prod = (s: Shape, from = 0, to = s.length): number => shapeSize(s.slice(from, to));

// Fast-path switches, so tests can run the plain kernels on shapes the fast ones would take.
let fastPaths = true;
/** Turns the vec4 / buffer-copy / view fast paths of the shape ops on or off (for tests and benchmarks). */
export function setShapeFastPaths(on: boolean): void {
  fastPaths = on;
}

// ------------------------------------------------------------------------------------------------- reshape

/** x with a new shape of the same size; one entry may be -1 (inferred). A free view: no copy. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  assertLive('reshape', x);
  const s = resolveShape(x, shape);
  const y = x.view(s);
  const xShape = x.shape;
  return record(y, 'reshape', [x], (gy) => [gy.view(xShape)]);
}

function resolveShape(x: Tensor, shape: Shape): number[] {
  check(Array.isArray(shape), 'reshape', `shape must be an array, got ${String(shape)}`, [x.shape]);
  const bad = shape.some((d) => !Number.isInteger(d) || d < -1);
  check(!bad, 'reshape', `shape entries must be non-negative integers or -1, got ${fmtShape(shape)}`, [x.shape]);
  const free = shape.filter((d) => d === -1).length;
  check(free <= 1, 'reshape', `at most one -1 allowed, got ${fmtShape(shape)}`, [x.shape]);
  const known = shapeSize(shape.filter((d) => d !== -1));
  if (free === 0) {
    check(known === x.size, 'reshape', `cannot view ${x.size} elements as ${fmtShape(shape)}`, [x.shape]);
    return [...shape];
  }
  check(
    known > 0 && x.size % known === 0,
    'reshape',
    `cannot infer the -1 in ${fmtShape(shape)} from ${x.size} elements`,
    [x.shape],
  );
  return shape.map((d) => (d === -1 ? x.size / known : d));
}

/** Merges axes startAxis.. into one: (a, b, c, d) with startAxis 1 → (a, b·c·d). A free view. */
export function flatten(x: Tensor, startAxis = 0): Tensor {
  assertLive('flatten', x);
  check(x.rank >= 1, 'flatten', 'needs a tensor of rank ≥ 1', [x.shape]);
  const a = normAxis('flatten', startAxis, x.rank, [x.shape]);
  return reshape(x, [...x.shape.slice(0, a), prod(x.shape, a)]);
}

// ------------------------------------------------------------------------------------------------- permute

/**
 * permute's rungs: 'strided', one kernel for every permute (each invocation works out where its run of y comes from
 * in x), and 'tiled', for a permute that swaps the last two axes once merged (a transpose, or the last axis moved
 * elsewhere), through a 32×32 tile in workgroup memory so that both the reads and the writes are along rows.
 */
export type PermuteKernel = 'strided' | 'tiled';
export const PERMUTE_KERNELS: readonly PermuteKernel[] = ['strided', 'tiled'];

/** Swaps two axes (a permute); `opts.kernel` as for permute. */
export function transpose(x: Tensor, dim0: number, dim1: number, opts?: { kernel?: PermuteKernel }): Tensor {
  assertLive('transpose', x);
  const a = normAxis('transpose', dim0, x.rank, [x.shape]);
  const b = normAxis('transpose', dim1, x.rank, [x.shape]);
  const dims = x.shape.map((_, i) => (i === a ? b : i === b ? a : i));
  return permute(x, dims, opts);
}

/**
 * y's axis k is x's axis dims[k]; y is contiguous (a copy), unless only size-1 axes move (then a view).
 * `opts.kernel` picks the rung ('strided', 'tiled' — which takes only permutes that swap the last two axes after
 * merging); by default the gpu profile tiles those and the cpu profile runs 'strided' for all.
 */
export function permute(x: Tensor, dims: readonly number[], opts?: { kernel?: PermuteKernel }): Tensor {
  assertLive('permute', x);
  check(
    Array.isArray(dims) && dims.length === x.rank,
    'permute',
    `dims must list all ${x.rank} axes, got ${JSON.stringify(dims)}`,
    [x.shape],
  );
  const d = dims.map((a) => normAxis('permute', a, x.rank, [x.shape]));
  check(new Set(d).size === d.length, 'permute', `dims ${JSON.stringify(dims)} repeat an axis`, [x.shape]);
  const outShape = d.map((a) => x.shape[a]);
  const plan = permutePlan(x.shape, d);
  check(
    plan.shape.length <= MAX_PERMUTE_RANK,
    'permute',
    `needs ${plan.shape.length} separate axes after merging, more than ${MAX_PERMUTE_RANK}`,
    [x.shape],
  );
  const inverse = d.map((_, i) => d.indexOf(i));
  const k = opts?.kernel;
  const kernels = PERMUTE_KERNELS.join(', ');
  check(
    k === undefined || PERMUTE_KERNELS.includes(k),
    'permute',
    `kernel must be one of ${kernels}, got ${String(k)}`,
    [x.shape],
  );
  const tiles = tileable(plan);
  const swap = 'needs a permute that swaps the last two axes (after merging axes that move together)';
  check(k !== 'tiled' || tiles || !plan.moves, 'permute', `kernel 'tiled' ${swap}, got dims ${fmtShape(d)}`, [x.shape]);
  const rung = k ?? (tiles ? pickRung<PermuteKernel>(runtime().tuning, { cpu: 'strided', gpu: 'tiled' }) : 'strided');

  let y: Tensor;
  if (x.size > 0 && plan.moves) {
    y = empty(outShape, 'permute');
    if (rung === 'tiled') permuteTiled(x, y, plan.shape, plan.stride);
    else permuteInto(x, y, plan.shape, plan.stride);
  } else {
    y = x.view(outShape); // only size-1 axes moved: the element order is unchanged
  }
  // The inverse of a swap of the last two axes swaps them back, so the backward can take the same rung.
  return record(y, 'permute', [x], (gy) => [permute(gy, inverse, opts)]);
}

/** Whether permute_tiled takes this plan: y's last two merged axes are x's, swapped, within its grid limits. */
function tileable(plan: { shape: number[]; stride: number[] }): boolean {
  const { shape, stride } = plan;
  const r = shape.length;
  if (r < 2 || stride[r - 2] !== 1 || stride[r - 1] !== shape[r - 2]) return false;
  const batch = shapeSize(shape.slice(0, r - 2));
  return batch <= 65535 && Math.ceil(shape[r - 1] / 32) <= 65535 && Math.ceil(shape[r - 2] / 32) <= 65535;
}

function permuteTiled(x: Tensor, y: Tensor, shape: number[], stride: number[]): void {
  const r = shape.length;
  const pad = (a: number[]) => [...a, ...new Array<number>(8 - a.length).fill(0)];
  runtime().dispatch({
    kernel: PERMUTE_TILED,
    constants: { RANK: r },
    params: { shape: pad(shape), stride: pad(stride) },
    buffers: { x: x.buffer, y: y.buffer },
    groups: [Math.ceil(shape[r - 1] / 32), Math.ceil(shape[r - 2] / 32), shapeSize(shape.slice(0, r - 2))],
  });
}

/**
 * Reduces a permute to the fewest axes: size-1 axes are dropped, and axes that are adjacent in x and stay adjacent
 * and in order in y are merged. Returns y's merged shape, x's stride for each of those axes, and whether any element
 * actually moves.
 */
export function permutePlan(
  shape: Shape,
  dims: readonly number[],
): { shape: number[]; stride: number[]; moves: boolean } {
  const kept = dims.filter((a) => shape[a] !== 1); // x's axes in y's order, without size-1 axes
  // Runs of consecutive x axes (skipping size-1 ones, which hold no extent) become one axis each.
  const nextKept = (a: number): number => {
    let b = a + 1;
    while (b < shape.length && shape[b] === 1) b++;
    return b;
  };
  const runs: number[][] = [];
  for (const a of kept) {
    const last = runs[runs.length - 1];
    if (last && nextKept(last[last.length - 1]) === a) last.push(a);
    else runs.push([a]);
  }
  // Stride of each run in x: the product of the sizes of every x axis after the run's last axis.
  const stride = runs.map((r) => prod(shape, r[r.length - 1] + 1));
  const size = runs.map((r) => r.reduce((n, a) => n * shape[a], 1));
  const moves = runs.some((r, i) => i > 0 && runs[i - 1][0] > r[0]);
  return { shape: size, stride, moves };
}

function permuteInto(x: Tensor, y: Tensor, shape: number[], stride: number[]): void {
  const r = shape.length;
  const run = fastPaths ? PERMUTE_RUN : 1; // several elements per invocation share one index computation
  const chunks = Math.ceil(shape[r - 1] / run);
  const n = (y.size / shape[r - 1]) * chunks;
  const pad = (a: number[]) => [...a, ...new Array(8 - a.length).fill(0)];
  runtime().dispatch({
    kernel: PERMUTE,
    constants: { RANK: r, RUN: run },
    params: { n, chunks, shape: pad(shape), stride: pad(stride) },
    buffers: { x: x.buffer, y: y.buffer },
    groups: grid1d(n, 64),
  });
}

// ------------------------------------------------------------------------------------------------- slice

/**
 * x[..., start:end:step, ...] along one axis (a copy, or a view when it keeps the whole axis). Negative start/end
 * count from the end of the axis; end defaults to the axis length. With step 1 (the default) it needs
 * 0 ≤ start ≤ end ≤ length after that (no silent clamping, unlike Python). A step s > 1 keeps every s-th element
 * from start, as PyTorch's `x[start:end:s]`. A negative step walks backwards from start, as NumPy's (PyTorch has no
 * negative steps): end then defaults to "past the first element" and needs −1 ≤ end ≤ start < length after
 * normalising. Differentiable in x: the gradient is gy scattered back to the positions it was read from, zeros
 * elsewhere.
 */
export function slice(x: Tensor, axis: number, start: number, end?: number, step = 1): Tensor {
  assertLive('slice', x);
  const a = normAxis('slice', axis, x.rank, [x.shape]);
  const len = x.shape[a];
  check(
    Number.isInteger(start) && (end === undefined || Number.isInteger(end)),
    'slice',
    `start and end must be integers, got ${start}, ${end}`,
    [x.shape],
  );
  check(Number.isInteger(step) && step !== 0, 'slice', `step must be a non-zero integer, got ${step}`, [x.shape]);
  if (step !== 1) return stepSlice(x, a, start, end, step);
  const s = start < 0 ? start + len : start;
  const e = end === undefined ? len : end < 0 ? end + len : end;
  check(s >= 0 && s <= e && e <= len, 'slice', `range ${start}:${end ?? ''} is outside axis ${a} of length ${len}`, [
    x.shape,
  ]);

  const outShape = x.shape.map((d, i) => (i === a ? e - s : d));
  const xShape = x.shape;
  const outer = prod(x.shape, 0, a);
  const inner = prod(x.shape, a + 1);
  const xb = len * inner;
  const yb = (e - s) * inner;
  const off = s * inner;
  if (yb === xb && fastPaths) {
    const y = x.view(outShape); // the whole axis: nothing to copy
    return record(y, 'slice', [x], (gy) => [gy.view(xShape)]);
  }
  const y = empty(outShape, 'slice');
  windowInto(x, y, outer, yb, xb, off);
  return record(y, 'slice', [x], (gy, _needs, [dxSoFar]) => {
    // dx: gy added into the window of the gradient x already has (one launch instead of padding plus accumulating),
    if (dxSoFar) {
      placeWindow(gy, dxSoFar, outer, yb, xb, off, true);
      return [dxSoFar];
    }
    // or else gy placed into a zero tensor of x's shape, each dx element reading gy or writing 0.
    const dx = empty(xShape, 'slice');
    windowInto(gy, dx, outer, xb, yb, -off);
    return [dx];
  });
}

/**
 * y viewed as (outer, yb) gets y[o, r] = x[o, r + off] where 0 ≤ r + off < xb (x viewed as (outer, xb)), else 0.
 * Forward slices take a window inside x (off ≥ 0); their backward pads gy with zeros back to x's extent (off ≤ 0).
 * accumulate: y[o, r] += that instead (a concat's backward adding into a gradient its input already has).
 */
function windowInto(
  x: Tensor,
  y: Tensor,
  outer: number,
  yb: number,
  xb: number,
  off: number,
  accumulate = false,
): void {
  if (y.size === 0) return;
  const rt = runtime();
  if (fastPaths && !accumulate && outer === 1 && off >= 0 && off + yb <= xb) {
    rt.copy(x.buffer, y.buffer, yb * 4, off * 4, 0); // one contiguous range
    return;
  }
  const vec = fastPaths && yb % 4 === 0 && xb % 4 === 0 && off % 4 === 0;
  const q = vec ? 4 : 1;
  const n = (outer * yb) / q;
  rt.dispatch({
    kernel: vec ? SLICE_VEC4 : SLICE,
    constants: { ACCUMULATE: accumulate ? 1 : 0 },
    params: { n, yb: yb / q, xb: xb / q, off: off / q }, // off may be negative: an i32
    buffers: { x: x.buffer, y: y.buffer },
    groups: grid1d(n, 64),
  });
}

/** slice with a step other than 1: slice_step.wgsl forward, slice_step_grad.wgsl (gather form) backward. */
function stepSlice(x: Tensor, a: number, start: number, end: number | undefined, step: number): Tensor {
  const len = x.shape[a];
  const s = start < 0 ? start + len : start;
  const e = end === undefined ? (step > 0 ? len : -1) : end < 0 ? end + len : end;
  const ok = step > 0 ? s >= 0 && s <= e && e <= len : e >= -1 && e <= s && s < len;
  const range = `${start}:${end ?? ''}:${step}`;
  check(ok, 'slice', `range ${range} is outside axis ${a} of length ${len}`, [x.shape]);
  const ylen = Math.ceil(Math.abs(e - s) / Math.abs(step));
  const outShape = x.shape.map((d, i) => (i === a ? ylen : d));
  const xShape = x.shape;
  const inner = prod(x.shape, a + 1);
  const run = (kern: typeof SLICE_STEP, src: Tensor, dst: Tensor, n: number) => {
    if (n === 0) return;
    runtime().dispatch({
      kernel: kern,
      params: { n, inner, ylen, xlen: len, start: s, step },
      buffers: kern === SLICE_STEP ? { x: src.buffer, y: dst.buffer } : { gy: src.buffer, dx: dst.buffer },
      groups: grid1d(n, 64),
    });
  };
  const y = empty(outShape, 'slice');
  run(SLICE_STEP, x, y, y.size);
  return record(y, 'slice', [x], (gy) => {
    const dx = empty(xShape, 'slice');
    run(SLICE_STEP_GRAD, gy, dx, dx.size);
    return [dx];
  });
}

/**
 * Cuts x into consecutive pieces along `axis`, as torch.split: a number `size` gives pieces of that length (the last
 * one shorter when the axis does not divide evenly; n equal chunks of a length-L axis are `split(x, L / n)`); an
 * array gives the length of each piece (non-negative, summing to the axis length). Each piece is a `slice` (a copy,
 * or a view when there is one piece), differentiable in x; pieces left out of the loss contribute zero gradient.
 * Backward is each used piece's slice backward (an x-sized pass per piece, summed by autograd): the tape has one
 * output per node, so the pieces cannot share one gather.
 */
export function split(x: Tensor, sizes: number | readonly number[], axis = 0): Tensor[] {
  assertLive('split', x);
  const a = normAxis('split', axis, x.rank, [x.shape]);
  const len = x.shape[a];
  let lens: number[];
  if (typeof sizes === 'number') {
    check(Number.isInteger(sizes) && sizes > 0, 'split', `size must be a positive integer, got ${sizes}`, [x.shape]);
    lens = Array.from({ length: Math.max(1, Math.ceil(len / sizes)) }, (_, k) => Math.min(sizes, len - k * sizes));
  } else {
    check(Array.isArray(sizes), 'split', `sizes must be a number or an array, got ${String(sizes)}`, [x.shape]);
    lens = [...sizes];
    const bad = lens.some((l) => !Number.isInteger(l) || l < 0);
    check(!bad, 'split', `sizes must be non-negative integers, got ${JSON.stringify(sizes)}`, [x.shape]);
    const total = lens.reduce((t, l) => t + l, 0);
    check(total === len, 'split', `sizes ${JSON.stringify(sizes)} sum to ${total}, not axis ${a}'s length ${len}`, [
      x.shape,
    ]);
  }
  let at = 0;
  return lens.map((l) => slice(x, a, at, (at += l)));
}

// ------------------------------------------------------------------------------------------------- concat / stack

/** Joins tensors along an existing axis; all other axes must match. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  check(xs != null && typeof xs.length === 'number' && xs.length > 0, 'concat', 'needs a non-empty array of tensors');
  assertLive('concat', ...xs);
  const shapes = xs.map((x) => x.shape);
  const rank = xs[0].rank;
  check(
    xs.every((x) => x.rank === rank),
    'concat',
    'all inputs must have the same rank',
    shapes,
  );
  const a = normAxis('concat', axis, rank, shapes);
  const same = xs.every((x) => x.shape.every((d, i) => i === a || d === xs[0].shape[i]));
  check(same, 'concat', `inputs differ outside axis ${a}`, shapes);
  const lens = xs.map((x) => x.shape[a]);
  const outShape = xs[0].shape.map((d, i) => (i === a ? lens.reduce((s, l) => s + l, 0) : d));
  const inner = prod(xs[0].shape, a + 1);
  return joinWindows(
    'concat',
    xs,
    outShape,
    prod(xs[0].shape, 0, a),
    lens.map((l) => l * inner),
  );
}

/** Joins same-shaped tensors along a new axis at position `axis` (0 ≤ axis ≤ rank). */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  check(xs != null && typeof xs.length === 'number' && xs.length > 0, 'stack', 'needs a non-empty array of tensors');
  assertLive('stack', ...xs);
  const shapes = xs.map((x) => x.shape);
  check(
    xs.every((x) => sameShape(x.shape, xs[0].shape)),
    'stack',
    'all inputs must have the same shape',
    shapes,
  );
  const a = normAxis('stack', axis, xs[0].rank + 1, shapes);
  const s = xs[0].shape;
  const outShape = [...s.slice(0, a), xs.length, ...s.slice(a)];
  const block = prod(s, a); // stacking at `a` puts each input's trailing block side by side
  return joinWindows(
    'stack',
    xs,
    outShape,
    prod(s, 0, a),
    xs.map(() => block),
  );
}

/**
 * y viewed as (outer, Σ blocks) holds input k in columns [Σ_{j<k} blocks[j], + blocks[k]) of every row; input k is
 * viewed as (outer, blocks[k]). Backward cuts the same windows out of gy.
 */
function joinWindows(op: string, xs: readonly Tensor[], outShape: number[], outer: number, blocks: number[]): Tensor {
  const yb = blocks.reduce((s, b) => s + b, 0);
  const offs = blocks.map((_, k) => blocks.slice(0, k).reduce((s, b) => s + b, 0));
  const shapes = xs.map((x) => x.shape);
  const y = empty(outShape, op);
  xs.forEach((x, k) => placeWindow(x, y, outer, blocks[k], yb, offs[k], false));
  return record(y, op, [...xs], (gy, needs, into) =>
    shapes.map((s, k) => {
      if (!needs[k]) return null;
      const soFar = into[k];
      if (soFar) {
        windowInto(gy, soFar, outer, blocks[k], yb, offs[k], true); // added into the gradient input k already has
        return soFar;
      }
      const g = empty(s, op);
      windowInto(gy, g, outer, blocks[k], yb, offs[k]);
      return g;
    }),
  );
}

/**
 * x viewed as (outer, xb) into columns [off, off + xb) of y viewed as (outer, yb): y[o, off + r] = x[o, r], or
 * y[o, off + r] += x[o, r] with accumulate (a slice's backward adding into a gradient its input already has).
 */
function placeWindow(x: Tensor, y: Tensor, outer: number, xb: number, yb: number, off: number, accumulate: boolean) {
  if (x.size === 0) return;
  const rt = runtime();
  if (fastPaths && !accumulate && outer === 1) {
    rt.copy(x.buffer, y.buffer, xb * 4, 0, off * 4);
    return;
  }
  const vec = fastPaths && xb % 4 === 0 && yb % 4 === 0 && off % 4 === 0;
  const q = vec ? 4 : 1;
  const n = (outer * xb) / q;
  rt.dispatch({
    kernel: vec ? CONCAT_VEC4 : CONCAT,
    constants: { ACCUMULATE: accumulate ? 1 : 0 },
    params: { n, xb: xb / q, yb: yb / q, off: off / q },
    buffers: { x: x.buffer, y: y.buffer },
    groups: grid1d(n, 64),
  });
}

// ------------------------------------------------------------------------------------------------- tile / pad

/**
 * x repeated along each axis, as torch.tile / numpy.tile: axis k of the result is x's axis k times reps[k]. When reps
 * is shorter than x's rank it is read as reps with leading 1s; when longer, x gets leading size-1 axes. reps are
 * non-negative integers (0 empties that axis). Differentiable in x: the gradient sums the copies (tile_grad.wgsl).
 */
export function tile(x: Tensor, reps: readonly number[]): Tensor {
  assertLive('tile', x);
  check(Array.isArray(reps), 'tile', `reps must be an array, got ${String(reps)}`, [x.shape]);
  const bad = reps.some((r) => !Number.isInteger(r) || r < 0);
  check(!bad, 'tile', `reps must be non-negative integers, got ${JSON.stringify(reps)}`, [x.shape]);
  const rank = Math.max(x.rank, reps.length);
  const xs = [...new Array<number>(rank - x.rank).fill(1), ...x.shape];
  const rs = [...new Array<number>(rank - reps.length).fill(1), ...reps];
  const outShape = xs.map((d, k) => d * rs[k]);
  const xShape = x.shape;
  // An axis repeated once wraps like the axis before it, so the two merge into one.
  const mx = [xs[0] ?? 1]; // a rank-0 x with no reps: one axis of length 1
  const mr = [rs[0] ?? 1];
  for (let k = 1; k < rank; k++) {
    if (rs[k] === 1) mx[mx.length - 1] *= xs[k];
    else {
      mx.push(xs[k]);
      mr.push(rs[k]);
    }
  }
  check(mx.length <= MAX_TILE_PAD_RANK, 'tile', `needs ${mx.length} separate axes, more than ${MAX_TILE_PAD_RANK}`, [
    x.shape,
  ]);
  const common = { xshape: padTo8(mx), reps: padTo8(mr) };
  if (rs.every((r) => r === 1) && fastPaths) {
    return record(x.view(outShape), 'tile', [x], (gy) => [gy.view(xShape)]);
  }
  const y = empty(outShape, 'tile');
  if (y.size > 0) {
    runtime().dispatch({
      kernel: TILE,
      constants: { RANK: mx.length },
      params: { n: y.size, ...common },
      buffers: { x: x.buffer, y: y.buffer },
      groups: grid1d(y.size, 64),
    });
  }
  return record(y, 'tile', [x], (gy) => {
    const dx = empty(xShape, 'tile');
    if (dx.size === 0) return [dx];
    runtime().dispatch({
      kernel: TILE_GRAD,
      constants: { RANK: mx.length },
      params: { n: dx.size, copies: shapeSize(mr), ...common },
      buffers: { gy: gy.buffer, dx: dx.buffer },
      groups: grid1d(dx.size, 64),
    });
    return [dx];
  });
}

/**
 * x padded with a constant, in PyTorch's `F.pad(x, pads, value=value)` order: `pads` holds (before, after) pairs
 * starting from the LAST axis — [lastBefore, lastAfter, secondLastBefore, …] — covering as many trailing axes as it
 * has pairs (NumPy's np.pad lists pairs from the first axis instead). A negative pad crops, as in PyTorch; each axis
 * must keep a length ≥ 0. Differentiable in x, not in `value`: the gradient is gy with the padding cut off (and zeros
 * where x was cropped).
 */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  assertLive('pad', x);
  check(Array.isArray(pads), 'pad', `pads must be an array, got ${String(pads)}`, [x.shape]);
  check(
    pads.every((q) => Number.isInteger(q)) && pads.length % 2 === 0 && pads.length <= 2 * x.rank,
    'pad',
    `pads must be (before, after) integer pairs for at most ${x.rank} axes, got ${JSON.stringify(pads)}`,
    [x.shape],
  );
  check(typeof value === 'number' && !Number.isNaN(value), 'pad', `value must be a number, got ${value}`, [x.shape]);
  check(x.rank <= MAX_TILE_PAD_RANK, 'pad', `handles rank ≤ ${MAX_TILE_PAD_RANK}`, [x.shape]);
  const before = x.shape.map((_, k) => pads[2 * (x.rank - 1 - k)] ?? 0);
  const after = x.shape.map((_, k) => pads[2 * (x.rank - 1 - k) + 1] ?? 0);
  const outShape = x.shape.map((d, k) => d + before[k] + after[k]);
  check(
    outShape.every((d) => d >= 0),
    'pad',
    `pads ${JSON.stringify(pads)} crop an axis below length 0 (→ ${fmtShape(outShape)})`,
    [x.shape],
  );
  const xShape = x.shape;
  if (pads.every((q) => q === 0) && fastPaths) {
    return record(x.view(outShape), 'pad', [x], (gy) => [gy.view(xShape)]);
  }
  // dst[c] = src[c − off] inside src, else fill; the backward is the same with the shapes swapped and −off.
  const place = (src: Tensor, dst: Tensor, off: number[], fill: number) => {
    if (dst.size === 0) return;
    runtime().dispatch({
      kernel: PAD,
      constants: { RANK: Math.max(1, x.rank) },
      params: {
        n: dst.size,
        value: fill,
        yshape: padTo8(dst.rank ? dst.shape : [1]), // a rank-0 x: one axis of length 1
        xshape: padTo8(src.rank ? src.shape : [1]),
        add: padTo8(off.map((o) => Math.max(-o, 0))),
        sub: padTo8(off.map((o) => Math.max(o, 0))),
      },
      buffers: { x: src.buffer, y: dst.buffer },
      groups: grid1d(dst.size, 64),
    });
  };
  const y = empty(outShape, 'pad');
  place(x, y, before, value);
  return record(y, 'pad', [x], (gy) => {
    const dx = empty(xShape, 'pad');
    place(
      gy,
      dx,
      before.map((b) => -b),
      0,
    );
    return [dx];
  });
}

// ------------------------------------------------------------------------------------------------- gatherRows

/**
 * Embedding lookup: out[k…, :] = table[indices[k…], :]. table is (V, D); indices are integers in [0, V), uploaded as
 * u32; `shape` gives their shape (default [indices.length]); the output is (...shape, D). Only table gets a gradient.
 */
export function gatherRows(table: Tensor, indices: ArrayLike<number>, shape?: Shape): Tensor {
  assertLive('gatherRows', table);
  check(table.rank === 2, 'gatherRows', 'table must be (V, D)', [table.shape]);
  check(indices != null && typeof indices.length === 'number', 'gatherRows', 'indices must be an array of integers', [
    table.shape,
  ]);
  const [V, D] = table.shape;
  const n = indices.length;
  const idxShape = shape ? [...shape] : [n];
  check(
    idxShape.every((d) => Number.isInteger(d) && d >= 0) && shapeSize(idxShape) === n,
    'gatherRows',
    `indices shape ${fmtShape(idxShape)} does not hold ${n} indices`,
    [table.shape],
  );
  const idx = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    const v = indices[k];
    check(Number.isInteger(v) && v >= 0 && v < V, 'gatherRows', `index ${v} at position ${k} is outside [0, ${V})`, [
      table.shape,
      idxShape,
    ]);
    idx[k] = v;
  }

  const y = empty([...idxShape, D], 'gatherRows');
  const rt = runtime();
  if (y.size > 0) {
    const vec = fastPaths && D % 4 === 0;
    const q = vec ? 4 : 1;
    const idxBuf = rt.upload(idx);
    rt.dispatch({
      kernel: vec ? GATHER_ROWS_VEC4 : GATHER_ROWS,
      params: { n: y.size / q, d: D / q },
      buffers: { table: table.buffer, idx: idxBuf, y: y.buffer },
      groups: grid1d(y.size / q, 64),
    });
    rt.release(idxBuf); // reusable only after the batch that reads it has been submitted
  }
  // With the launch fusions (decided now), the backward adds into the gradient the table already has.
  const fuse = launchFusions();
  return record(y, 'gatherRows', [table], (gy, _needs, into) => [
    gatherRowsBackward(gy, idx, V, D, fuse ? into[0] : null),
  ]);
}

/**
 * The positions that read each row, grouped by row (a counting sort): [start[0..V], pos[0..N)], where
 * pos[start[v] .. start[v+1]) lists, in increasing order, the k with idx[k] = v.
 */
export function rowPlan(idx: Uint32Array, V: number): Uint32Array {
  const plan = new Uint32Array(V + 1 + idx.length);
  for (const v of idx) plan[v + 1]++;
  for (let v = 0; v < V; v++) plan[v + 1] += plan[v];
  const next = plan.slice(0, V);
  for (let k = 0; k < idx.length; k++) plan[V + 1 + next[idx[k]]++] = k;
  return plan;
}

function gatherRowsBackward(gy: Tensor, idx: Uint32Array, V: number, D: number, prev: Tensor | null): Tensor {
  const dt = prev ?? empty([V, D], 'gatherRows backward');
  if (dt.size === 0) return dt;
  const rt = runtime();
  const vec = fastPaths && D % 4 === 0;
  const q = vec ? 4 : 1;
  const planBuf = rt.upload(rowPlan(idx, V));
  rt.dispatch({
    kernel: vec ? GATHER_ROWS_GRAD_VEC4 : GATHER_ROWS_GRAD,
    params: { n: dt.size / q, d: D / q, v: V, acc: prev ? 1 : 0 },
    buffers: { plan: planBuf, gy: gy.buffer, dtable: dt.buffer },
    groups: grid1d(dt.size / q, 64),
  });
  rt.release(planBuf);
  return dt;
}

// ------------------------------------------------------------------------------------------------- gradReverse

/**
 * The gradient reversal layer of domain-adversarial training (DANN): identity forward (a view), −lambda·gy backward,
 * so the layers before it learn to defeat the classifier after it.
 */
export function gradReverse(x: Tensor, lambda = 1): Tensor {
  assertLive('gradReverse', x);
  check(
    typeof lambda === 'number' && Number.isFinite(lambda),
    'gradReverse',
    `lambda must be a finite number, got ${lambda}`,
    [x.shape],
  );
  const y = x.view(x.shape);
  return record(y, 'gradReverse', [x], (gy) => [mulScalar(gy, -lambda)]);
}
