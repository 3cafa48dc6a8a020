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
  // P problems (inputs (P, N, D), (P, M, D)) as P separate calls added by weightedSum: what the batched call replaces.
  infoNCEPerProblem: ([a, p, negatives]: [Tensor, Tensor, Tensor?], attrs: Omit<InfoNCEOptions, 'negatives'>, w) => {
    const { reduction, ...opts } = attrs;
    const P = a.shape[0];
    const part = (t: Tensor, i: number) => w.reshape(w.slice(t, 0, i, i + 1), t.shape.slice(1));
    const losses = Array.from({ length: P }, (_, i) =>
      w.infoNCE(part(a, i), part(p, i), { ...opts, ...(negatives ? { negatives: part(negatives, i) } : {}) }),
    );
    return w.weightedSum(
      losses,
      losses.map(() => 1),
      { scale: reduction === 'sum' ? 1 : 1 / P },
    );
  },
} satisfies OpTable;
