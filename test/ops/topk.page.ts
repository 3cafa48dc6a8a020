// Page-side op for test/ops/topk.test.ts. attrs: { k }.

import type { Tensor } from '../../src/index';
import type { OpTable } from '../page/registry';

export const OPS = {
  topkSoftmax: ([x]: [Tensor], { k }: { k: number }, w) => w.topkSoftmax(x, k),
} satisfies OpTable;
