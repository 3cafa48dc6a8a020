// Page-side entries for the CLUB losses (inputs mu, logvar, y). attrs carry the options; `kernel: 'composite'` selects
// the generic-op versions.
//
// clubEstimator runs a ClubEstimator(dim, { hidden, seed }) on inputs [x, y] (attrs.mode 'll' → logLikelihood,
// else miUpperBound); clubEstimatorParams returns that estimator's parameters flattened and concatenated (attrs.names
// lists the expected names and shapes), so the Node side can rebuild the float64 reference. The estimator is kept
// between calls with the same attrs (its weights depend only on the seed), so a bad-input call that reuses it records
// no GPU work before the error.

import type { ClubEstimator, ClubOptions, Tensor } from '../../src/index';
import type { OpTable } from '../page/registry';
import type * as wgType from '../../src/index';

interface EstimatorAttrs {
  dim: number;
  hidden?: number;
  seed: number;
}

let cached: { key: string; m: ClubEstimator } | null = null;

function estimator(attrs: EstimatorAttrs, w: typeof wgType): ClubEstimator {
  const key = JSON.stringify([attrs.dim, attrs.hidden, attrs.seed]);
  if (cached?.key !== key) {
    cached?.m.dispose();
    cached = null;
    cached = { key, m: new w.ClubEstimator(attrs.dim, { hidden: attrs.hidden, seed: attrs.seed }) };
  }
  return cached.m;
}

export const OPS = {
  clubLogLikelihood: ([mu, logvar, y]: [Tensor, Tensor, Tensor], attrs: ClubOptions | undefined, w) =>
    w.clubLogLikelihood(mu, logvar, y, attrs ?? {}),
  clubUpperBound: ([mu, logvar, y]: [Tensor, Tensor, Tensor], attrs: ClubOptions | undefined, w) =>
    w.clubUpperBound(mu, logvar, y, attrs ?? {}),
  clubEstimator: ([x, y]: [Tensor, Tensor], attrs: EstimatorAttrs & { mode: 'll' | 'ub' }, w) => {
    const m = estimator(attrs, w);
    return attrs.mode === 'll' ? m.logLikelihood(x, y) : m.miUpperBound(x, y);
  },
  // The same with the launch fusions off: its heads' Linear + ReLU/Tanh as a product and an activation (and bias sums).
  clubEstimatorUnfused: ([x, y]: [Tensor, Tensor], attrs: EstimatorAttrs & { mode: 'll' | 'ub' }, w) => {
    const m = estimator(attrs, w);
    w.setLaunchFusions(false);
    try {
      return attrs.mode === 'll' ? m.logLikelihood(x, y) : m.miUpperBound(x, y);
    } finally {
      w.setLaunchFusions(true);
    }
  },
  clubEstimatorParams: (_inputs: [], attrs: EstimatorAttrs & { names: string }, w) => {
    const m = estimator(attrs, w);
    const named = m.namedParameters();
    const got = named.map(([n, p]) => `${n}${JSON.stringify(p.shape)}`).join(' ');
    if (got !== attrs.names) throw new Error(`ClubEstimator parameters are ${got}, expected ${attrs.names}`);
    return w.concat(
      named.map(([, p]) => w.flatten(p)),
      0,
    );
  },
} satisfies OpTable;
