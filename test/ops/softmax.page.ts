// Page-side ops for test/ops/softmax.test.ts. attrs: { axis? } for softmax and logSoftmax, { keepdim? } for logsumexp;
// each may name a `kernel` (the rung; unset: the tuning's).

import type { RowKernel, Tensor } from '../../src/index';
import type { OpTable } from '../page/registry';

type K = { kernel?: RowKernel };
const opts = (a: K | undefined) => (a?.kernel ? { kernel: a.kernel } : undefined);

export const OPS = {
  softmax: ([x]: [Tensor], a: ({ axis?: number } & K) | undefined, w) => w.softmax(x, a?.axis ?? -1, opts(a)),
  logSoftmax: ([x]: [Tensor], a: ({ axis?: number } & K) | undefined, w) => w.logSoftmax(x, a?.axis ?? -1, opts(a)),
  logsumexp: ([x]: [Tensor], a: ({ keepdim?: boolean } & K) | undefined, w) =>
    w.logsumexp(x, a?.keepdim ?? false, opts(a)),
} satisfies OpTable;
