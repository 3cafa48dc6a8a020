// Page-side ops for test/ops/reduce.test.ts and reduce-more.test.ts. attrs: { axes?, keepdim?, unbiased? }; the
// arg-reductions and cumsum take one { axis }.

import type { Tensor } from '../../src/index';
import type * as wgType from '../../src/index';
import type { OpTable } from '../page/registry';

type Attrs = { axes?: number | number[]; keepdim?: boolean; unbiased?: boolean } | undefined;
type AxisAttrs = { axis?: number; keepdim?: boolean } | undefined;

export const OPS = {
  sum: ([x]: [Tensor], a: Attrs, w) => w.sum(x, a?.axes ?? undefined, a?.keepdim ?? false),
  mean: ([x]: [Tensor], a: Attrs, w) => w.mean(x, a?.axes ?? undefined, a?.keepdim ?? false),
  max: ([x]: [Tensor], a: Attrs, w) => w.max(x, a?.axes ?? undefined, a?.keepdim ?? false),
  min: ([x]: [Tensor], a: Attrs, w) => w.min(x, a?.axes ?? undefined, a?.keepdim ?? false),
  prod: ([x]: [Tensor], a: Attrs, w) => w.prod(x, a?.axes ?? undefined, a?.keepdim ?? false),
  variance: ([x]: [Tensor], a: Attrs, w) =>
    w.variance(x, a?.axes ?? undefined, a?.keepdim ?? false, { unbiased: a?.unbiased ?? false }),
  argmax: ([x]: [Tensor], a: AxisAttrs, w) => w.argmax(x, a?.axis ?? undefined, a?.keepdim ?? false),
  argmin: ([x]: [Tensor], a: AxisAttrs, w) => w.argmin(x, a?.axis ?? undefined, a?.keepdim ?? false),
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
