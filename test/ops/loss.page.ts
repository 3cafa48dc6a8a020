// Page-side entries for test/ops/loss.test.ts: inputs [prediction, target]; attrs: { reduction? }.

import type { Reduction, Tensor } from '../../src/index';
import type { OpTable } from '../page/registry';

type Attrs = { reduction?: Reduction } | undefined;

export const OPS = {
  mseLoss: ([pred, target]: [Tensor, Tensor], a: Attrs, w) => w.mseLoss(pred, target, a?.reduction),
  l1Loss: ([pred, target]: [Tensor, Tensor], a: Attrs, w) => w.l1Loss(pred, target, a?.reduction),
} satisfies OpTable;
