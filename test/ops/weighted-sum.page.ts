// Page-side entry for weightedSum (test/ops/weighted-sum.test.ts). attrs: { weights, scale? }.

import type { Tensor } from '../../src/index';
import type { OpTable } from '../page/registry';

type WeightedSumAttrs = { weights: number[]; scale?: number };

export const OPS = {
  weightedSum: (xs: Tensor[], a: WeightedSumAttrs, wg) => wg.weightedSum(xs, a.weights, { scale: a.scale }),
  // The chain it replaces (mulScalar per weight and scale that is not 1, add per term): compared bit for bit.
  weightedSumComposite: (xs: Tensor[], a: WeightedSumAttrs, wg) =>
    wg.weightedSum(xs, a.weights, { scale: a.scale, kernel: 'composite' }),
  // A term that is twice an input: the two gradients the tape adds for it.
  weightedSumRepeated: ([x, y]: [Tensor, Tensor], a: WeightedSumAttrs, wg) =>
    wg.weightedSum([x, y, x], a.weights, { scale: a.scale }),
} satisfies OpTable;
