// Page-side ops for test/ops/layernorm.test.ts. attrs: { gamma?: boolean, beta?: boolean, eps?, normalizedShape? };
// the inputs are [x, gamma if present, beta if present].

import type { RowKernel, Tensor } from '../../src/index';
import type { OpTable } from '../page/registry';

type Attrs =
  { gamma?: boolean; beta?: boolean; eps?: number; normalizedShape?: number[]; kernel?: RowKernel } | undefined;

export const OPS = {
  layerNorm: (xs: [Tensor, ...Tensor[]], a: Attrs, w) => {
    let k = 1;
    const gamma = a?.gamma ? xs[k++] : undefined;
    const beta = a?.beta ? xs[k++] : undefined;
    const opts = a?.kernel ? { kernel: a.kernel } : undefined;
    return w.layerNorm(xs[0], gamma, beta, a?.eps ?? 1e-5, a?.normalizedShape, opts);
  },
} satisfies OpTable;
