// Page-side ops for test/ops/softmax.test.ts. attrs: { axis? } for softmax and logSoftmax, { keepdim? } for logsumexp.

import type { Tensor } from '../../src/index';
import type { OpTable } from '../page/registry';

export const OPS = {
  softmax: ([x]: [Tensor], a: { axis?: number } | undefined, w) => w.softmax(x, a?.axis ?? -1),
  logSoftmax: ([x]: [Tensor], a: { axis?: number } | undefined, w) => w.logSoftmax(x, a?.axis ?? -1),
  logsumexp: ([x]: [Tensor], a: { keepdim?: boolean } | undefined, w) => w.logsumexp(x, a?.keepdim ?? false),
} satisfies OpTable;
