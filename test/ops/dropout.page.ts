// Page-side entry for dropout (test/ops/dropout.test.ts): attrs carry p and the optional seed and training flag.

import type { OpTable } from '../page/registry';

export const OPS: OpTable = {
  dropout: (xs, a, w) => w.dropout(xs[0], a.p, { seed: a.seed ?? undefined, training: a.training ?? undefined }),
};
