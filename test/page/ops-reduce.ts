// Page-side ops for the reductions, softmax family and layer norm (test/reduce, softmax, layernorm .test.ts).
// attrs: { axes?, keepdim?, unbiased? } for the reductions; { keepdim? } for logsumexp;
// { gamma?: boolean, beta?: boolean, eps? } for layerNorm, whose inputs are [x, gamma if present, beta if present].

import type { OpTable } from './registry';

export const OPS: OpTable = {
  sum: ([x], a, w) => w.sum(x, a?.axes ?? undefined, a?.keepdim ?? false),
  mean: ([x], a, w) => w.mean(x, a?.axes ?? undefined, a?.keepdim ?? false),
  max: ([x], a, w) => w.max(x, a?.axes ?? undefined, a?.keepdim ?? false),
  variance: ([x], a, w) => w.variance(x, a?.axes ?? undefined, a?.keepdim ?? false, { unbiased: a?.unbiased ?? false }),
  softmax: ([x], _a, w) => w.softmax(x),
  logSoftmax: ([x], _a, w) => w.logSoftmax(x),
  logsumexp: ([x], a, w) => w.logsumexp(x, a?.keepdim ?? false),
  layerNorm: (xs, a, w) => {
    let k = 1;
    const gamma = a?.gamma ? xs[k++] : undefined;
    const beta = a?.beta ? xs[k++] : undefined;
    return w.layerNorm(xs[0], gamma, beta, a?.eps ?? 1e-5);
  },
};
