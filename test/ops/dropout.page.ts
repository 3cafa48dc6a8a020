// Page-side entry for dropout (test/ops/dropout.test.ts): attrs carry p and the optional seed and training flag.

import type { Tensor } from '../../src/index';
import type { OpTable } from '../page/registry';

export const OPS = {
  dropout: (xs: [Tensor], a: { p: number; seed?: number | null; training?: boolean | null }, w) =>
    w.dropout(xs[0], a.p, { seed: a.seed ?? undefined, training: a.training ?? undefined }),
} satisfies OpTable;
