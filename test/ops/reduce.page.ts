// Page-side ops for test/ops/reduce.test.ts. attrs: { axes?, keepdim?, unbiased? }.

import type { Tensor } from '../../src/index';
import type { OpTable } from '../page/registry';

type Attrs = { axes?: number | number[]; keepdim?: boolean; unbiased?: boolean } | undefined;

export const OPS = {
  sum: ([x]: [Tensor], a: Attrs, w) => w.sum(x, a?.axes ?? undefined, a?.keepdim ?? false),
  mean: ([x]: [Tensor], a: Attrs, w) => w.mean(x, a?.axes ?? undefined, a?.keepdim ?? false),
  max: ([x]: [Tensor], a: Attrs, w) => w.max(x, a?.axes ?? undefined, a?.keepdim ?? false),
  variance: ([x]: [Tensor], a: Attrs, w) =>
    w.variance(x, a?.axes ?? undefined, a?.keepdim ?? false, { unbiased: a?.unbiased ?? false }),
} satisfies OpTable;
