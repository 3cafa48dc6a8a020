// Page-side ops for test/ops/matmul.test.ts. attrs: { transA?, transB?, kernel? } as in matmul()'s options.

import type { MatmulOptions, Tensor } from '../../src/index';
import type { OpTable } from '../page/registry';

type Attrs = Omit<MatmulOptions, 'bias'> | undefined;

export const OPS = {
  matmul: ([a, b]: [Tensor, Tensor], attrs: Attrs, w) => w.matmul(a, b, attrs ?? {}),
  /** matmul with its fused bias: inputs a, b, bias. */
  matmulBias: ([a, b, bias]: [Tensor, Tensor, Tensor], attrs: Attrs, w) => w.matmul(a, b, { ...(attrs ?? {}), bias }),

  // Not an op: a probe for the memory test (called through tryOp). Runs matmul forward and backward and throws if a
  // result still shares its storage with a temporary: a reshaped view left undisposed would keep the buffer alive
  // outside tidy().
  matmulStorageProbe: ([a, b]: [Tensor, Tensor], attrs: Attrs, w) => {
    a.requiresGrad = true;
    b.requiresGrad = true;
    const y = w.matmul(a, b, attrs ?? {});
    w.sum(y).backward();
    const shared = { y, a, b, 'a.grad': a.grad!, 'b.grad': b.grad! };
    const bad = Object.entries(shared)
      .filter(([, t]) => t.sharesStorage)
      .map(([k]) => k);
    if (bad.length) throw new Error(`storage still shared after matmul: ${bad.join(', ')}`);
    return y;
  },
} satisfies OpTable;
