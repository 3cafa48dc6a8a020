// Page-side entries for src/engine/nn: the functional linear (what Linear.forward runs), with the weight and bias as inputs
// so the gradient checks reach them.

import type { Tensor } from '../../src/index';
import type { OpTable } from './registry';

export const OPS = {
  linear: ([x, weight, bias]: [Tensor, Tensor, Tensor?], _attrs, w) => w.linear(x, weight, bias ?? null),
} satisfies OpTable;
