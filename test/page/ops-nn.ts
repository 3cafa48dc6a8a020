// Page-side entries for src/engine/nn: the functional linear (what Linear.forward runs), with the weight and bias as inputs
// so the gradient checks reach them.

import type { OpTable } from './registry';

export const OPS: OpTable = {
  linear: ([x, weight, bias], _attrs, w) => w.linear(x, weight, bias ?? null),
};
