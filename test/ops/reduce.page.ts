// Page-side ops for test/ops/reduce.test.ts and reduce-more.test.ts. attrs: { axes?, keepdim?, unbiased? }; the
// arg-reductions and cumsum take one { axis }. All but prod and cumsum may name a `kernel` (the rung).

import type { RowKernel, Tensor } from '../../src/index';
import type * as wgType from '../../src/index';
import type { OpTable } from '../page/registry';

type Attrs = { axes?: number | number[]; keepdim?: boolean; unbiased?: boolean; kernel?: RowKernel } | undefined;
type AxisAttrs = { axis?: number; keepdim?: boolean; kernel?: RowKernel } | undefined;
const opts = (a: { kernel?: RowKernel } | undefined) => (a?.kernel ? { kernel: a.kernel } : undefined);

export const OPS = {
  sum: ([x]: [Tensor], a: Attrs, w) => w.sum(x, a?.axes ?? undefined, a?.keepdim ?? false, opts(a)),
  mean: ([x]: [Tensor], a: Attrs, w) => w.mean(x, a?.axes ?? undefined, a?.keepdim ?? false, opts(a)),
  max: ([x]: [Tensor], a: Attrs, w) => w.max(x, a?.axes ?? undefined, a?.keepdim ?? false, opts(a)),
  min: ([x]: [Tensor], a: Attrs, w) => w.min(x, a?.axes ?? undefined, a?.keepdim ?? false, opts(a)),
  prod: ([x]: [Tensor], a: Attrs, w) => w.prod(x, a?.axes ?? undefined, a?.keepdim ?? false),
  variance: ([x]: [Tensor], a: Attrs, w) =>
    w.variance(x, a?.axes ?? undefined, a?.keepdim ?? false, { unbiased: a?.unbiased ?? false, ...opts(a) }),
  argmax: ([x]: [Tensor], a: AxisAttrs, w) => w.argmax(x, a?.axis ?? undefined, a?.keepdim ?? false, opts(a)),
  argmin: ([x]: [Tensor], a: AxisAttrs, w) => w.argmin(x, a?.axis ?? undefined, a?.keepdim ?? false, opts(a)),
  cumsum: ([x]: [Tensor], a: { axis: number }, w) => w.cumsum(x, a.axis),
  // The same sums with setSumFolding(false): always the two-pass form, which the folded dispatch must equal bit for bit.
  sumTwoPass: ([x]: [Tensor], a: Attrs, w) => twoPass(w, () => w.sum(x, a?.axes ?? undefined)),
  varianceTwoPass: ([x]: [Tensor], a: Attrs, w) => twoPass(w, () => w.variance(x, a?.axes ?? undefined)),
} satisfies OpTable;

function twoPass(w: typeof wgType, f: () => Tensor): Tensor {
  w.setSumFolding(false);
  try {
    return f();
  } finally {
    w.setSumFolding(true);
  }
}
