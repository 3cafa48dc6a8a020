// Page-side ops for test/ops/reduce.test.ts. attrs: { axes?, keepdim?, unbiased? }.

import type { OpTable } from '../page/registry';

export const OPS: OpTable = {
  sum: ([x], a, w) => w.sum(x, a?.axes ?? undefined, a?.keepdim ?? false),
  mean: ([x], a, w) => w.mean(x, a?.axes ?? undefined, a?.keepdim ?? false),
  max: ([x], a, w) => w.max(x, a?.axes ?? undefined, a?.keepdim ?? false),
  variance: ([x], a, w) => w.variance(x, a?.axes ?? undefined, a?.keepdim ?? false, { unbiased: a?.unbiased ?? false }),
};
