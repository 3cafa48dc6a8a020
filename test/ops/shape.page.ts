// Page-side entries for the shape ops, gatherRows and gradReverse (test/ops/shape.test.ts). `fast: false` in
// attrs runs the plain kernels where a vec4, buffer-copy or view fast path would apply (set on every call, so it also
// holds for the backward pass that gradcase runs right after the op).

import type { Tensor } from '../../src/index';
import type * as wgType from '../../src/index';
import type { OpTable } from '../page/registry';

/** Every shape entry's attrs may carry `fast`. */
type Fast = { fast?: boolean };
const fast = (a: Fast | undefined, w: typeof wgType) => w.setShapeFastPaths(a?.fast !== false);

export const OPS = {
  reshape: (xs: [Tensor], a: { shape: number[] }, w) => w.reshape(xs[0], a.shape),
  flatten: (xs: [Tensor], a: { startAxis?: number } | undefined, w) => w.flatten(xs[0], a?.startAxis),
  transpose: (xs: [Tensor], a: Fast & { dim0: number; dim1: number; kernel?: wgType.PermuteKernel }, w) => (
    fast(a, w),
    w.transpose(xs[0], a.dim0, a.dim1, a.kernel ? { kernel: a.kernel } : undefined)
  ),
  permute: (xs: [Tensor], a: Fast & { dims: number[]; kernel?: wgType.PermuteKernel }, w) => (
    fast(a, w),
    w.permute(xs[0], a.dims, a.kernel ? { kernel: a.kernel } : undefined)
  ),
  slice: (xs: [Tensor], a: Fast & { axis: number; start: number; end?: number | null; step?: number }, w) => (
    fast(a, w),
    w.slice(xs[0], a.axis, a.start, a.end ?? undefined, a.step)
  ),
  // Every piece, flattened and joined end to end, so one gradcheck covers the forward and gradient of each.
  split: (xs: [Tensor], a: Fast & { sizes: number | number[]; axis?: number }, w) => (
    fast(a, w),
    w.concat(
      w.split(xs[0], a.sizes, a.axis).map((p) => w.reshape(p, [-1])),
      0,
    )
  ),
  // One piece alone: the pieces left out get no gradient.
  splitPiece: (xs: [Tensor], a: Fast & { sizes: number | number[]; axis?: number; piece: number }, w) => (
    fast(a, w),
    w.split(xs[0], a.sizes, a.axis)[a.piece]
  ),
  tile: (xs: [Tensor], a: Fast & { reps: number[] }, w) => (fast(a, w), w.tile(xs[0], a.reps)),
  pad: (xs: [Tensor], a: Fast & { pads: number[]; value?: number }, w) => (fast(a, w), w.pad(xs[0], a.pads, a.value)),
  concat: (xs: Tensor[], a: Fast & { axis: number }, w) => (fast(a, w), w.concat(xs, a.axis)),
  stack: (xs: Tensor[], a: Fast & { axis: number }, w) => (fast(a, w), w.stack(xs, a.axis)),
  gatherRows: (xs: [Tensor], a: Fast & { indices: number[]; type?: 'i32' | 'u32'; shape?: number[] }, w) => {
    fast(a, w);
    const idx =
      a.type === 'i32' ? Int32Array.from(a.indices) : a.type === 'u32' ? Uint32Array.from(a.indices) : a.indices;
    return w.gatherRows(xs[0], idx, a.shape);
  },
  gradReverse: (xs: [Tensor], a: { lambda?: number } | undefined, w) => w.gradReverse(xs[0], a?.lambda),
} satisfies OpTable;
