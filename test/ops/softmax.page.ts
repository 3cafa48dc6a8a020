// Page-side ops for test/ops/softmax.test.ts. attrs: { keepdim? } for logsumexp.

import type { OpTable } from '../page/registry';

export const OPS: OpTable = {
  softmax: ([x], _a, w) => w.softmax(x),
  logSoftmax: ([x], _a, w) => w.logSoftmax(x),
  logsumexp: ([x], a, w) => w.logsumexp(x, a?.keepdim ?? false),
};
