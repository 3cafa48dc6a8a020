// The benchmark instance both contrastive losses share (bench/ops/infonce.ts, bench/ops/club.ts): a scalar loss
// over fixed inputs, timed forward or forward + backward, checked against a float64 reference value.

import type * as wgType from '../../src/index';
import type { KernelBenchInstance } from '../cases';

type Wg = typeof wgType;
/** 'composite' runs the generic-op version of a loss, the baseline its fused kernels are measured against. */
export type Rung = 'fused' | 'composite';

const relErr = (got: number, want: number) => Math.abs(got - want) / Math.max(Math.abs(want), 1e-30);

/** One benchmark instance: inputs made once; run() records the loss (and backward, freeing the gradients). */
export function instance(
  w: Wg,
  arrays: Float32Array[],
  shapes: number[][],
  backward: boolean,
  loss: (xs: wgType.Tensor[]) => wgType.Tensor,
  ref: () => number,
): KernelBenchInstance {
  const xs = arrays.map((a, i) => w.tensor(a, shapes[i], { requiresGrad: backward }).keep());
  return {
    run() {
      const y = loss(xs);
      if (!backward) return;
      y.backward();
      for (const x of xs) {
        x.grad?.dispose();
        x.grad = null;
      }
    },
    async check() {
      const y = w.noGrad(() => loss(xs));
      const got = await y.item();
      y.dispose();
      return relErr(got, ref());
    },
    dispose() {
      for (const x of xs) {
        x.grad?.dispose();
        x.dispose();
      }
    },
  };
}
