// Page-side ops for test/ops/reduce.test.ts and reduce-more.test.ts. attrs: { axes?, keepdim?, unbiased? }; the
// arg-reductions and cumsum take one { axis }.

import type { Tensor } from '../../src/index';
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
} satisfies OpTable;
