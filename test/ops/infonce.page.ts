// Page-side entry for infoNCE (inputs anchors, positives[, negatives]). attrs carry the options; `kernel: 'composite'`
// selects the generic-op version.

import type { InfoNCEOptions, Tensor } from '../../src/index';
import type { OpTable } from '../page/registry';

export const OPS = {
  // attrs are the options minus the negatives tensor (the tests send unknown keys too, through untyped(), to check they throw).
  infoNCE: ([a, p, negatives]: [Tensor, Tensor, Tensor?], attrs: Omit<InfoNCEOptions, 'negatives'>, w) =>
    w.infoNCE(a, p, { ...attrs, ...(negatives ? { negatives } : {}) }),
  // infoNCE(a, p) + Σ (a + p)·a, infoNCE recorded first: its backward runs last, when a and p already hold the other
  // term's gradient, so it adds its own into them in the renorm kernel (ACC) instead of a separate accumulate.
  // infoNCE recorded with the launch fusions off: the mean in its own launch (infonce_mean), not the rows' (MEAN).
  infoNCEUnfused: ([a, p, negatives]: [Tensor, Tensor, Tensor?], attrs: Omit<InfoNCEOptions, 'negatives'>, w) => {
    w.setLaunchFusions(false);
    try {
      return w.infoNCE(a, p, { ...attrs, ...(negatives ? { negatives } : {}) });
    } finally {
      w.setLaunchFusions(true);
    }
  },
  infoNCEInto: ([a, p]: [Tensor, Tensor], attrs: Omit<InfoNCEOptions, 'negatives'>, w) => {
    const loss = w.infoNCE(a, p, attrs);
    return w.add(loss, w.sum(w.mul(w.add(a, p), a)));
  },
} satisfies OpTable;
