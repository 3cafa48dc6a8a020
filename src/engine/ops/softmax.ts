// The softmax family over the last axis: softmax, logSoftmax, logsumexp. Each is one kernel launch forward and one
// backward. All three shift by the row maximum, so inputs of any magnitude stay finite.

import { runtime } from '../engine';
import { check } from '../errors';
import { grid1d, kernel } from '../runtime';
import { assertLive, empty, record, shapeSize, Tensor } from '../tensor';
import { fillInto } from '../creation';
import softmaxSrc from '../../../kernels/softmax/softmax.wgsl';
import gradSrc from '../../../kernels/softmax/softmax_grad.wgsl';
import lseGradSrc from '../../../kernels/softmax/softmax_lse_grad.wgsl';

const SOFTMAX = kernel('softmax', softmaxSrc, {
  params: { rows: 'u32', c: 'u32' },
  buffers: { x: 'read', y: 'read_write' },
});
export const SOFTMAX_GRAD = kernel('softmax_grad', gradSrc, {
  params: { rows: 'u32', c: 'u32' },
  buffers: { y: 'read', gy: 'read', gx: 'read_write' },
});
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

function forward(mode: Mode, x: Tensor, rows: number, c: number, outShape: readonly number[]): Tensor {
  const y = empty(outShape, 'softmax');
  // An empty row has no maximum: nothing to write for softmax; logsumexp of nothing is −∞, which we do not invent.
  if (c > 0) {
    runtime().dispatch({
      kernel: SOFTMAX,
      constants: { MODE: mode },
      params: { rows, c },
      buffers: { x: x.buffer, y: y.buffer },
      groups: grid1d(rows, 64),
    });
  }
  return y;
}

/** Backward of softmax / logSoftmax from the saved output y. */
function rowGrad(mode: Mode, y: Tensor, gy: Tensor, rows: number, c: number): Tensor {
  const gx = empty(y.shape, 'softmax backward');
  runtime().dispatch({
    kernel: SOFTMAX_GRAD,
    constants: { MODE: mode },
    params: { rows, c },
    buffers: { y: y.buffer, gy: gy.buffer, gx: gx.buffer },
    groups: grid1d(rows, 64),
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

/** softmax over the last axis: exp(x − max) / Σ exp(x − max). */
export function softmax(x: Tensor): Tensor {
  const { rows, c } = rowsOf('softmax', x);
  const y = forward(Mode.Softmax, x, rows, c, x.shape); // y: x.shape
  return recordWithOutput(y, 'softmax', x, (yv, gy) => rowGrad(Mode.Softmax, yv, gy, rows, c));
}

/** log(softmax(x)) over the last axis, computed as x − max − log Σ exp(x − max) (no log of a rounded-to-0 prob). */
export function logSoftmax(x: Tensor): Tensor {
  const { rows, c } = rowsOf('logSoftmax', x);
  const y = forward(Mode.LogSoftmax, x, rows, c, x.shape); // y: x.shape
  return recordWithOutput(y, 'logSoftmax', x, (yv, gy) => rowGrad(Mode.LogSoftmax, yv, gy, rows, c));
}

/** log Σ exp(x) over the last axis; the axis is removed, or kept as size 1 with keepdim. An empty axis gives −∞. */
export function logsumexp(x: Tensor, keepdim = false): Tensor {
  const { rows, c } = rowsOf('logsumexp', x);
  check(typeof keepdim === 'boolean', 'logsumexp', `keepdim must be a boolean, got ${String(keepdim)}`, [x.shape]);
  const outShape = keepdim ? [...x.shape.slice(0, -1), 1] : x.shape.slice(0, -1);
  if (c === 0) {
    // The log of an empty sum, as in PyTorch; x holds no elements, so its gradient is empty too.
    const y = empty(outShape, 'logsumexp');
    fillInto(y, -Infinity);
    return record(y, 'logsumexp', [x], () => [empty(x.shape, 'logsumexp')]);
  }
  const y = forward(Mode.Logsumexp, x, rows, c, outShape); // y: (...) or (..., 1)
  return record(y, 'logsumexp', [x], (gy) => {
    // gx = gy · softmax(x), the softmax formed afresh from x (exp(x − lse) from the rounded output would carry lse's
    // rounding, 1e-3 near |x| ~ 1e4), then scaled elementwise.
    const sm = forward(Mode.Softmax, x, rows, c, x.shape);
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
