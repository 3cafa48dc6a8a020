// Page-side entry for infoNCE (inputs anchors, positives[, negatives]). attrs carry the options; `kernel: 'composite'`
// selects the generic-op version.

import type { InfoNCEOptions, Tensor } from '../../src/index';
import type { OpTable } from '../page/registry';

export const OPS = {
  // attrs are the options minus the negatives tensor (the tests send unknown keys too, through untyped(), to check they throw).
  infoNCE: ([a, p, negatives]: [Tensor, Tensor, Tensor?], attrs: Omit<InfoNCEOptions, 'negatives'>, w) =>
    w.infoNCE(a, p, { ...attrs, ...(negatives ? { negatives } : {}) }),
} satisfies OpTable;
