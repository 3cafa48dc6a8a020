// Page-side entries for test/ops/loss.test.ts and loss-classification.test.ts: inputs [prediction, target] (and
// bceWithLogits' optional posWeight); attrs: { reduction? } and the classification losses' options.

import type { CrossEntropyOptions, NllLossOptions, Reduction, Tensor } from '../../src/index';
import type { OpTable } from '../page/registry';

type Attrs = { reduction?: Reduction } | undefined;

export const OPS = {
  mseLoss: ([pred, target]: [Tensor, Tensor], a: Attrs, w) => w.mseLoss(pred, target, a?.reduction),
  l1Loss: ([pred, target]: [Tensor, Tensor], a: Attrs, w) => w.l1Loss(pred, target, a?.reduction),
  crossEntropy: ([x, t]: [Tensor, Tensor], a: CrossEntropyOptions | undefined, w) => w.crossEntropy(x, t, a),
  nllLoss: ([x, t]: [Tensor, Tensor], a: NllLossOptions | undefined, w) => w.nllLoss(x, t, a),
  bceWithLogits: ([x, t, posWeight]: [Tensor, Tensor, Tensor?], a: Attrs, w) =>
    w.bceWithLogits(x, t, { ...a, ...(posWeight ? { posWeight } : {}) }),
} satisfies OpTable;
