// Pointwise regression losses, fused: one pass computes f(pred − target) and reduces it (a serial loop per
// invocation, then one combine when the input is long), and one elementwise kernel gives the gradient.

import { runtime } from '../engine';
import { check } from '../errors';
import { grid1d, kernel } from '../runtime';
import { assertLive, empty, record, sameShape, Tensor } from '../tensor';
import elementwiseSrc from '../../../kernels/loss/loss_elementwise.wgsl';
import partialSrc from '../../../kernels/loss/loss_partial.wgsl';
import combineSrc from '../../../kernels/loss/loss_combine.wgsl';
import gradSrc from '../../../kernels/loss/loss_grad.wgsl';

const LOSS_ELEMENTWISE = kernel('loss_elementwise', elementwiseSrc, {
  params: { n: 'u32' },
  buffers: { pred: 'read', tgt: 'read', y: 'read_write' },
});
const LOSS_PARTIAL = kernel('loss_partial', partialSrc, {
  params: { n: 'u32', parts: 'u32', scale: 'f32' },
  buffers: { pred: 'read', tgt: 'read', part: 'read_write' },
});
const LOSS_COMBINE = kernel('loss_combine', combineSrc, {
  params: { parts: 'u32', scale: 'f32' },
  buffers: { partials: 'read', y: 'read_write' },
});
const LOSS_GRAD = kernel('loss_grad', gradSrc, {
  params: { n: 'u32', scale: 'f32' },
  buffers: { pred: 'read', tgt: 'read', gy: 'read', dx: 'read_write' },
});

export type Reduction = 'mean' | 'sum' | 'none';

const enum Kind {
  Mse = 0,
  L1 = 1,
}

/** (pred − target)², averaged ('mean'), summed ('sum') or elementwise ('none'). Shapes must match exactly. */
export function mseLoss(pred: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return pointwiseLoss('mseLoss', Kind.Mse, pred, target, reduction);
}

/** |pred − target|, reduced like mseLoss. The gradient at pred = target is 0. */
export function l1Loss(pred: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return pointwiseLoss('l1Loss', Kind.L1, pred, target, reduction);
}

/** Below this many elements one invocation reduces everything; above it, partial sums of ≥ this many each. */
const SERIAL_MAX = 2048;
const MAX_PARTS = 4096;

function pointwiseLoss(op: string, kind: Kind, pred: Tensor, target: Tensor, reduction: Reduction): Tensor {
  assertLive(op, pred, target);
  check(sameShape(pred.shape, target.shape), op, 'pred and target must have the same shape', [
    pred.shape,
    target.shape,
  ]);
  check(
    reduction === 'mean' || reduction === 'sum' || reduction === 'none',
    op,
    `reduction must be 'mean', 'sum' or 'none', got ${String(reduction)}`,
    [pred.shape],
  );
  const n = pred.size;
  check(n > 0 || reduction !== 'mean', op, 'the mean of an empty tensor is undefined', [pred.shape]);
  const rt = runtime();
  const scale = reduction === 'mean' ? 1 / n : 1;
  let y: Tensor;

  if (reduction === 'none') {
    y = empty(pred.shape, op);
    rt.dispatch({
      kernel: LOSS_ELEMENTWISE,
      constants: { KIND: kind },
      params: { n },
      buffers: { pred: pred.buffer, tgt: target.buffer, y: y.buffer },
      groups: grid1d(n, 64),
    });
  } else {
    y = empty([], op);
    const parts = n <= SERIAL_MAX ? 1 : Math.min(MAX_PARTS, Math.ceil(n / SERIAL_MAX));
    const partial = parts === 1 ? y.buffer : rt.acquire(parts * 4);
    rt.dispatch({
      kernel: LOSS_PARTIAL,
      constants: { KIND: kind },
      params: { n, parts, scale: parts === 1 ? scale : 1 },
      buffers: { pred: pred.buffer, tgt: target.buffer, part: partial },
      groups: [Math.ceil(parts / 64)],
    });
    if (parts > 1) {
      rt.dispatch({
        kernel: LOSS_COMBINE,
        params: { parts, scale },
        buffers: { partials: partial, y: y.buffer },
        groups: [1],
      });
      rt.release(partial);
    }
  }

  return record(y, op, [pred, target], (gy, needs) => {
    const grad = (sign: number): Tensor => {
      const dx = empty(pred.shape, op);
      rt.dispatch({
        kernel: LOSS_GRAD,
        constants: { KIND: kind, BROADCAST: reduction === 'none' ? 0 : 1 },
        params: { n, scale: sign * scale },
        buffers: { pred: pred.buffer, tgt: target.buffer, gy: gy.buffer, dx: dx.buffer },
        groups: grid1d(n, 64),
      });
      return dx;
    };
    return [needs[0] ? grad(1) : null, needs[1] ? grad(-1) : null];
  });
}
