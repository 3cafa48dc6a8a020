// topkSoftmax: the top-k gate of a Mixture-of-Experts router (DERL's optional top-k routing, docs/models.md §7.2). Over
// the last axis, the k largest entries get softmax weights renormalised among themselves and every other entry gets 0;
// ties go to the lower index. k ≥ C is the plain softmax. One launch forward (kernels/topk/topk_softmax.wgsl), one backward:
// the softmax backward on the saved output (kernels/softmax/softmax_grad.wgsl), which is exact here because the unselected
// outputs are 0 and so receive no gradient. The selection itself is piecewise constant, so the gradient is that of
// the softmax over the selected logits (as in Mixtral / Switch: unselected experts learn only through other terms).

import { runtime } from '../engine';
import { check } from '../errors';
import { grid1d, kernel } from '../runtime';
import { assertLive, empty, record, shapeSize, Tensor } from '../tensor';
import { SOFTMAX_GRAD } from './softmax';
import topkSrc from '../../../kernels/topk/topk_softmax.wgsl';

const TOPK_SOFTMAX = kernel('topk_softmax', topkSrc, {
  params: { rows: 'u32', c: 'u32', k: 'u32' },
  buffers: { x: 'read', y: 'read_write' },
});

/** Softmax over the k largest entries of each last-axis row, 0 elsewhere: x (..., C) → (..., C); k ≥ 1. */
export function topkSoftmax(x: Tensor, k: number): Tensor {
  assertLive('topkSoftmax', x);
  check(x.rank >= 1, 'topkSoftmax', 'needs a tensor of rank ≥ 1 (it works over the last axis)', [x.shape]);
  check(
    typeof k === 'number' && Number.isInteger(k) && k >= 1,
    'topkSoftmax',
    `k must be an integer ≥ 1, got ${String(k)}`,
    [x.shape],
  );
  const c = x.shape[x.rank - 1];
  check(c > 0 || x.size === 0, 'topkSoftmax', 'the last axis is empty', [x.shape]);
  const rows = shapeSize(x.shape.slice(0, -1));
  const y = empty(x.shape, 'topkSoftmax'); //                                                  y: same shape as x
  if (x.size > 0) {
    runtime().dispatch({
      kernel: TOPK_SOFTMAX,
      params: { rows, c, k: Math.min(k, c) },
      buffers: { x: x.buffer, y: y.buffer },
      groups: grid1d(rows, 64),
    });
  }
  // The backward reads y: keep a view of it, so a caller disposing y does not free what backward() needs.
  const saved = y.view(y.shape);
  record(y, 'topkSoftmax', [x], (gy) => {
    const gx = empty(x.shape, 'topkSoftmax');
    if (x.size > 0) {
      runtime().dispatch({
        kernel: SOFTMAX_GRAD,
        constants: { MODE: 0 },
        params: { rows, c },
        buffers: { y: saved.buffer, gy: gy.buffer, gx: gx.buffer },
        groups: grid1d(rows, 64),
      });
    }
    return [gx];
  });
  if (!y.node) saved.dispose();
  return y;
}
