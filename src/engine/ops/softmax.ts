// The softmax family over the last axis: softmax, logSoftmax, logsumexp. Each is one kernel launch forward and one
// backward. All three shift by the row maximum, so inputs of any magnitude stay finite. softmax and logSoftmax also
// take any other axis: permuted to the last, the same kernels, permuted back (see rowOp). Each kernel has a serial
// rung (one invocation per row) and workgroup / subgroup rungs (a workgroup per row), chosen as in ./rows.ts.

import { runtime } from '../engine';
import { check } from '../errors';
import { grid1d, kernel } from '../runtime';
import { assertLive, empty, noGrad, record, shapeSize, Tensor } from '../tensor';
import { fillInto } from '../creation';
import { permute } from './shape';
import softmaxSrc from '../../../kernels/softmax/softmax.wgsl';
import gradSrc from '../../../kernels/softmax/softmax_grad.wgsl';
import lseGradSrc from '../../../kernels/softmax/softmax_lse_grad.wgsl';
import wgSrc from '../../../kernels/softmax/softmax_workgroup.wgsl';
import sgSrc from '../../../kernels/softmax/softmax_subgroup.wgsl';
import gradWgSrc from '../../../kernels/softmax/softmax_grad_workgroup.wgsl';
import gradSgSrc from '../../../kernels/softmax/softmax_grad_subgroup.wgsl';
import { rowGroups, rowRung, subgroupLibrary, type RowKernel, type RowOptions } from './rows';

const FWD_DECL = { params: { rows: 'u32', c: 'u32' }, buffers: { x: 'read', y: 'read_write' } } as const;
const GRAD_DECL = { params: { rows: 'u32', c: 'u32' }, buffers: { y: 'read', gy: 'read', gx: 'read_write' } } as const;
const SOFTMAX = kernel('softmax', softmaxSrc, FWD_DECL);
export const SOFTMAX_GRAD = kernel('softmax_grad', gradSrc, GRAD_DECL);
/** The workgroup-per-row rungs (forward and backward), each with its subgroup variant. */
const SOFTMAX_ROWS = {
  workgroup: kernel('softmax_workgroup', wgSrc, FWD_DECL),
  subgroup: kernel('softmax_subgroup', sgSrc, FWD_DECL, subgroupLibrary('softmax/softmax_workgroup.wgsl', wgSrc)),
};
const GRAD_ROWS = {
  workgroup: kernel('softmax_grad_workgroup', gradWgSrc, GRAD_DECL),
  subgroup: kernel(
    'softmax_grad_subgroup',
    gradSgSrc,
    GRAD_DECL,
    subgroupLibrary('softmax/softmax_grad_workgroup.wgsl', gradWgSrc),
  ),
};
const SOFTMAX_LSE_GRAD = kernel('softmax_lse_grad', lseGradSrc, {
  params: { n: 'u32', c: 'u32', run: 'u32' },
  buffers: { sm: 'read', gy: 'read', gx: 'read_write' },
});

/** The kernels' MODE constant. */
const Mode = { Softmax: 0, LogSoftmax: 1, Logsumexp: 2 } as const;
type Mode = (typeof Mode)[keyof typeof Mode];

/** x as (rows, C) over its last axis; throws for rank 0. */
function rowsOf(op: string, x: Tensor): { rows: number; c: number } {
  assertLive(op, x);
  check(x.rank >= 1, op, 'needs a tensor of rank ≥ 1 (it works over the last axis)', [x.shape]);
  const c = x.shape[x.rank - 1];
  return { rows: shapeSize(x.shape.slice(0, -1)), c };
}

function forward(mode: Mode, rung: RowKernel, x: Tensor, rows: number, c: number, outShape: readonly number[]): Tensor {
  const y = empty(outShape, 'softmax');
  // An empty row has no maximum: nothing to write for softmax; logsumexp of nothing is −∞, which we do not invent.
  if (c > 0) {
    runtime().dispatch({
      kernel: rung === 'serial' ? SOFTMAX : SOFTMAX_ROWS[rung],
      constants: { MODE: mode },
      params: { rows, c },
      buffers: { x: x.buffer, y: y.buffer },
      groups: rung === 'serial' ? grid1d(rows, 64) : rowGroups(rows),
    });
  }
  return y;
}

/** Backward of softmax / logSoftmax from the saved output y. */
function rowGrad(mode: Mode, rung: RowKernel, y: Tensor, gy: Tensor, rows: number, c: number): Tensor {
  const gx = empty(y.shape, 'softmax backward');
  runtime().dispatch({
    kernel: rung === 'serial' ? SOFTMAX_GRAD : GRAD_ROWS[rung],
    constants: { MODE: mode },
    params: { rows, c },
    buffers: { y: y.buffer, gy: gy.buffer, gx: gx.buffer },
    groups: rung === 'serial' ? grid1d(rows, 64) : rowGroups(rows),
  });
  return gx;
}

/**
 * Records the tape for an op whose backward needs its own output: it holds a view of y, so a caller disposing y
 * after using it does not pull the storage out from under backward().
 */
function recordWithOutput(y: Tensor, op: string, x: Tensor, backward: (saved: Tensor, gy: Tensor) => Tensor): Tensor {
  const saved = y.view(y.shape);
  record(y, op, [x], (gy) => [backward(saved, gy)]);
  if (!y.node) saved.dispose();
  return y;
}

/**
 * `axis` as a non-negative index (negative counts from the end, as in PyTorch); throws a WebgradError naming the op
 * and shape for an axis outside [−rank, rank).
 */
function normAxis(op: string, x: Tensor, axis: number): number {
  const ok = Number.isInteger(axis) && axis >= -x.rank && axis < x.rank;
  check(ok, op, `axis must be an integer in [${-x.rank}, ${x.rank}), got ${String(axis)}`, [x.shape]);
  return axis < 0 ? axis + x.rank : axis;
}

/**
 * softmax or logSoftmax along `axis`, one node on the tape. Another axis is moved to the end for the row kernels and
 * moved back (two permute copies, and two more backward), the output kept in row layout for backward like y itself
 * is on the last axis: a strided kernel would save the copies but read each line with a stride, which the kernels'
 * vec4 loads cannot.
 */
function rowOp(op: 'softmax' | 'logSoftmax', mode: Mode, x: Tensor, axis: number, opts?: RowOptions): Tensor {
  assertLive(op, x);
  check(x.rank >= 1, op, 'needs a tensor of rank ≥ 1', [x.shape]);
  const a = normAxis(op, x, axis);
  const rung = rowRung(op, opts, x.shape[a], [x.shape]);
  if (a === x.rank - 1) {
    const { rows, c } = rowsOf(op, x);
    const y = forward(mode, rung, x, rows, c, x.shape); // y: x.shape
    return recordWithOutput(y, op, x, (yv, gy) => rowGrad(mode, rung, yv, gy, rows, c));
  }
  const toLast = [...x.shape.keys()].filter((i) => i !== a).concat(a);
  const back = toLast.map((_, i) => toLast.indexOf(i));
  const xt = noGrad(() => permute(x, toLast));
  const { rows, c } = rowsOf(op, xt);
  const yt = forward(mode, rung, xt, rows, c, xt.shape); // yt: xt.shape, the axis last
  xt.dispose();
  const y = noGrad(() => permute(yt, back)); // y: x.shape
  record(y, op, [x], (gy) => {
    const gyt = permute(gy, toLast);
    const gxt = rowGrad(mode, rung, yt, gyt, rows, c);
    const gx = permute(gxt, back);
    gyt.dispose();
    gxt.dispose();
    return [gx];
  });
  if (!y.node) yt.dispose();
  return y;
}

/**
 * softmax along `axis` (default −1, the last; negative axes count from the end as in PyTorch's `dim`):
 * exp(x − max) / Σ exp(x − max). Output shape = x's; differentiable in x. Rank ≥ 1. `kernel` picks the rung
 * ('serial', 'workgroup', 'subgroup'; default: the tuning's, see ./rows.ts).
 */
export function softmax(x: Tensor, axis = -1, opts?: RowOptions): Tensor {
  return rowOp('softmax', Mode.Softmax, x, axis, opts);
}

/**
 * log(softmax(x)) along `axis` (default −1; negative as in PyTorch), computed as (x − max) − log Σ exp(x − max) (no
 * log of a rounded-to-0 probability, no rounding of a large max). Output shape = x's; differentiable in x. Rank ≥ 1.
 */
export function logSoftmax(x: Tensor, axis = -1, opts?: RowOptions): Tensor {
  return rowOp('logSoftmax', Mode.LogSoftmax, x, axis, opts);
}

/**
 * log Σ exp(x) over the last axis; the axis is removed, or kept as size 1 with keepdim. An empty axis gives −∞.
 * `kernel` picks the rung as for softmax.
 */
export function logsumexp(x: Tensor, keepdim = false, opts?: RowOptions): Tensor {
  const { rows, c } = rowsOf('logsumexp', x);
  check(typeof keepdim === 'boolean', 'logsumexp', `keepdim must be a boolean, got ${String(keepdim)}`, [x.shape]);
  const rung = rowRung('logsumexp', opts, c, [x.shape]);
  const outShape = keepdim ? [...x.shape.slice(0, -1), 1] : x.shape.slice(0, -1);
  if (c === 0) {
    // The log of an empty sum, as in PyTorch; x holds no elements, so its gradient is empty too.
    const y = empty(outShape, 'logsumexp');
    fillInto(y, -Infinity);
    return record(y, 'logsumexp', [x], () => [empty(x.shape, 'logsumexp')]);
  }
  const y = forward(Mode.Logsumexp, rung, x, rows, c, outShape); // y: (...) or (..., 1)
  return record(y, 'logsumexp', [x], (gy) => {
    // gx = gy · softmax(x), the softmax formed afresh from x (exp(x − lse) from the rounded output would carry lse's
    // rounding, 1e-3 near |x| ~ 1e4), then scaled elementwise.
    const sm = forward(Mode.Softmax, rung, x, rows, c, x.shape);
    const gx = empty(x.shape, 'logsumexp');
    const run = Math.max(1, Math.min(64, Math.floor(x.size / 1024))); // ~1024+ invocations, ≤ 64 elements each
    runtime().dispatch({
      kernel: SOFTMAX_LSE_GRAD,
      params: { n: x.size, c, run },
      buffers: { sm: sm.buffer, gy: gy.buffer, gx: gx.buffer },
      groups: grid1d(Math.ceil(x.size / run), 64),
    });
    sm.dispose(); // back to the pool only after the submit that reads it
    return [gx];
  });
}
