// Page-side entries for the shape ops, gatherRows and gradReverse (test/ops/shape.test.ts). `fast: false` in
// attrs runs the plain kernels where a vec4, buffer-copy or view fast path would apply (set on every call, so it also
// holds for the backward pass that gradcase runs right after the op).

import type { OpTable } from '../page/registry';

const fast = (a: any, w: any) => w.setShapeFastPaths(a?.fast !== false);

export const OPS: OpTable = {
  reshape: (xs, a, w) => w.reshape(xs[0], a.shape),
  flatten: (xs, a, w) => w.flatten(xs[0], a?.startAxis),
  transpose: (xs, a, w) => (fast(a, w), w.transpose(xs[0], a.dim0, a.dim1)),
  permute: (xs, a, w) => (fast(a, w), w.permute(xs[0], a.dims)),
  slice: (xs, a, w) => (fast(a, w), w.slice(xs[0], a.axis, a.start, a.end ?? undefined)),
  concat: (xs, a, w) => (fast(a, w), w.concat(xs, a.axis)),
  stack: (xs, a, w) => (fast(a, w), w.stack(xs, a.axis)),
  gatherRows: (xs, a, w) => {
    fast(a, w);
    const idx = a.type === 'i32' ? Int32Array.from(a.indices) : a.type === 'u32' ? Uint32Array.from(a.indices) : a.indices;
    return w.gatherRows(xs[0], idx, a.shape);
  },
  gradReverse: (xs, a, w) => w.gradReverse(xs[0], a?.lambda),
};
