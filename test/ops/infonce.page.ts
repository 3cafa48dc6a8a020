// Page-side entry for infoNCE (inputs anchors, positives[, negatives]). attrs carry the options; `kernel: 'composite'`
// selects the generic-op version.

import type { OpTable } from '../page/registry';

export const OPS: OpTable = {
  // attrs are the options minus the negatives tensor (unknown keys included, so the tests can check they throw).
  infoNCE: ([a, p, negatives], attrs, w) => w.infoNCE(a, p, { ...attrs, ...(negatives ? { negatives } : {}) }),
};
