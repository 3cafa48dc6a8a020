// Page-side ops for test/ops/softmax.test.ts. attrs: { keepdim? } for logsumexp.

import type { Tensor } from '../../src/index';
import type { OpTable } from '../page/registry';

export const OPS = {
  softmax: ([x]: [Tensor], _a, w) => w.softmax(x),
  logSoftmax: ([x]: [Tensor], _a, w) => w.logSoftmax(x),
  logsumexp: ([x]: [Tensor], a: { keepdim?: boolean } | undefined, w) => w.logsumexp(x, a?.keepdim ?? false),
} satisfies OpTable;
