// Page-side entries for test/ops/loss.test.ts: inputs [prediction, target]; attrs: { reduction? }.

import type { OpTable } from '../page/registry';

export const OPS: OpTable = {
  mseLoss: (xs, a, w) => w.mseLoss(xs[0], xs[1], a?.reduction),
  l1Loss: (xs, a, w) => w.l1Loss(xs[0], xs[1], a?.reduction),
};
