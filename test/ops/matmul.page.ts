// Page-side ops for test/ops/matmul.test.ts. attrs: { transA?, transB?, kernel? } as in matmul()'s options.

import type * as wg from '../../src/index';
import type { MatmulOptions, Tensor } from '../../src/index';
import type { OpTable } from '../page/registry';

type Attrs = Omit<MatmulOptions, 'bias'> | undefined;

export const OPS = {
  matmul: ([a, b]: [Tensor, Tensor], attrs: Attrs, w) => w.matmul(a, b, attrs ?? {}),
  /** matmul with its fused bias: inputs a, b, bias. */
  matmulBias: ([a, b, bias]: [Tensor, Tensor, Tensor], attrs: Attrs, w) => w.matmul(a, b, { ...(attrs ?? {}), bias }),
  /** matmulBias recorded with the launch fusions off: its bias gradient is a separate sum (compared bit for bit). */
  matmulBiasUnfused: ([a, b, bias]: [Tensor, Tensor, Tensor], attrs: Attrs, w) => {
    w.setLaunchFusions(false);
    try {
      return w.matmul(a, b, { ...(attrs ?? {}), bias });
    } finally {
      w.setLaunchFusions(true);
    }
  },

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

  // Not an op: a probe (called through tryOp) that matmul without a kernel option runs the tuning profile's rung:
  // matmul_shared on the 'gpu' profile, matmul_tiled on 'cpu' (WEBGRAD_TUNING=gpu runs the page on the former).
  matmulDefaultRungProbe: ([a, b]: [Tensor, Tensor], _attrs: undefined, w) => {
    const want = w.tuning().profile === 'gpu' ? 'matmul_shared' : 'matmul_tiled';
    const ran = kernelsRunBy(w, () => w.matmul(a, b));
    if (!ran.kernels.includes(want)) throw new Error(`default matmul ran ${ran.kernels.join(', ')}, not ${want}`);
    return ran.y;
  },
} satisfies OpTable;

/** What fn dispatched, leaving the runtime's record of every kernel dispatched (kernel coverage) as it was. */
export function kernelsRunBy(w: typeof wg, fn: () => Tensor): { y: Tensor; kernels: string[] } {
  const seen = w.runtime().kernelsDispatched;
  const before = [...seen];
  seen.clear();
  try {
    const y = fn();
    return { y, kernels: [...seen] };
  } finally {
    for (const k of before) seen.add(k);
  }
}
