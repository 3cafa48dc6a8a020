// cumsum: the running sum along one axis (kernels/reduce/cumsum.wgsl). x is viewed as (outer, L, inner) around the
// axis, so any axis is read in place; the backward is the same kernel running the other way (a reversed cumsum).

import { runtime } from '../engine';
import { check } from '../errors';
import { grid1d, kernel } from '../runtime';
import { assertLive, empty, record, shapeSize, Tensor } from '../tensor';
import cumsumSrc from '../../../kernels/reduce/cumsum.wgsl';

const CUMSUM = kernel('cumsum', cumsumSrc, {
  params: { n: 'u32', len: 'u32', inner: 'u32' },
  buffers: { x: 'read', y: 'read_write' },
});

/** The scan of x along `axis` (k, already in [0, rank)), forward or reversed; differentiable through the other. */
function scan(x: Tensor, k: number, reverse: boolean): Tensor {
  const y = empty(x.shape, 'cumsum'); // y: same shape as x
  const len = x.shape[k] ?? 1; // a scalar is one line of one element
  const inner = shapeSize(x.shape.slice(k + 1));
  const n = len === 0 ? 0 : x.size / len;
  if (n > 0) {
    runtime().dispatch({
      kernel: CUMSUM,
      constants: { REVERSE: reverse ? 1 : 0 },
      params: { n, len, inner },
      buffers: { x: x.buffer, y: y.buffer },
      groups: grid1d(n, 64),
    });
  }
  return record(y, 'cumsum', [x], (gy) => [scan(gy, k, !reverse)]);
}

/**
 * Cumulative sum along `axis` (negative counts from the end), as PyTorch's `cumsum(x, dim)`: y has x's shape and
 * y[…, i, …] = Σ_{j ≤ i} x[…, j, …]. x is differentiable; its gradient is the reversed cumulative sum of the output's
 * gradient (itself differentiable). An empty axis gives an empty result; a scalar takes axis 0 or −1 and is returned
 * as is. Accumulates in float32 serially along the axis.
 */
export function cumsum(x: Tensor, axis: number): Tensor {
  assertLive('cumsum', x);
  const rank = Math.max(1, x.rank);
  check(
    typeof axis === 'number' && Number.isInteger(axis) && axis >= -rank && axis < rank,
    'cumsum',
    `axis ${String(axis)} is out of range for rank ${x.rank}`,
    [x.shape],
  );
  return scan(x, axis < 0 ? axis + rank : axis, false);
}
