// weightedSum: y = scale · (w0·x0 + w1·x1 + … ) over up to 7 tensors of one shape, added left to right. Made for a
// loss's terms (DAR's L_total: issue 14's dispatch floor), where the chain of a mulScalar per weight and an add per
// term is one launch each way here. Same roundings in the same order as that chain (a weight or scale of 1 is exact
// and skipped there), so the same numbers; the chain itself is the 'composite' rung, and the one that runs when the
// launch fusions are off (src/engine/fusion.ts).

import { runtime } from '../engine';
import { check } from '../errors';
import { launchFusions } from '../fusion';
import { grid1d, kernel } from '../runtime';
import { assertLive, empty, record, sameShape, Tensor } from '../tensor';
import { add, mulScalar } from './elementwise';
import weightedSumSrc from '../../../kernels/elementwise/weighted_sum.wgsl';
import weightedSumGradSrc from '../../../kernels/elementwise/weighted_sum_grad.wgsl';

/** Most terms one launch takes: 7 inputs and the output are WebGPU's default 8 storage buffers. */
export const WEIGHTED_SUM_MAX = 7;

const SLOTS = Array.from({ length: WEIGHTED_SUM_MAX }, (_, j) => j);
const PARAMS = {
  n: 'u32',
  k: 'u32',
  s: 'f32',
  ...Object.fromEntries(SLOTS.map((j) => [`w${j}`, 'f32'])),
} as Record<string, 'u32' | 'f32'>;
const WEIGHTED_SUM = kernel('weighted_sum', weightedSumSrc, {
  params: PARAMS,
  buffers: { ...Object.fromEntries(SLOTS.map((j) => [`x${j}`, 'read'])), y: 'read_write' },
});
const WEIGHTED_SUM_GRAD = kernel('weighted_sum_grad', weightedSumGradSrc, {
  params: PARAMS,
  buffers: { gy: 'read', ...Object.fromEntries(SLOTS.map((j) => [`d${j}`, 'read_write'])) },
});

export interface WeightedSumOptions {
  /** Multiplies the sum, after the terms are added (default 1). */
  scale?: number;
  /** 'fused' (one launch each way) or 'composite' (mulScalar and add); default fused, composite with fusions off. */
  kernel?: 'fused' | 'composite';
}

/**
 * scale · Σ_j weights[j]·xs[j], the terms added in order; xs are 1 to 7 tensors of one shape (a loss's scalar terms).
 * Differentiable in every term. Throws a WebgradError naming the shapes on mismatched shapes or weights.
 */
export function weightedSum(xs: Tensor[], weights: number[], opts: WeightedSumOptions = {}): Tensor {
  const op = 'weightedSum';
  check(Array.isArray(xs) && xs.length > 0, op, 'needs at least one tensor');
  assertLive(op, ...xs);
  const shapes = xs.map((x) => x.shape);
  const { scale = 1, kernel: rung = launchFusions() ? 'fused' : 'composite' } = opts;
  check(xs.length <= WEIGHTED_SUM_MAX, op, `takes at most ${WEIGHTED_SUM_MAX} tensors, got ${xs.length}`, shapes);
  check(
    xs.every((x) => sameShape(x.shape, xs[0].shape)),
    op,
    'every tensor must have the same shape',
    shapes,
  );
  check(weights.length === xs.length, op, `needs one weight per tensor (${xs.length}), got ${weights.length}`, shapes);
  check(
    [...weights, scale].every((w) => typeof w === 'number' && Number.isFinite(w)),
    op,
    `weights and scale must be finite numbers, got [${weights.join(', ')}] and ${String(scale)}`,
    shapes,
  );
  check(rung === 'fused' || rung === 'composite', op, `kernel must be fused or composite, got ${String(rung)}`, shapes);
  if (rung === 'composite') {
    // The chain it replaces: a mulScalar for each weight and the scale that is not 1, an add for each term after one.
    const terms = xs.map((x, j) => (weights[j] === 1 ? x : mulScalar(x, weights[j])));
    const sum = terms.reduce((a, b) => add(a, b));
    return scale === 1 ? sum : mulScalar(sum, scale);
  }

  const rt = runtime();
  const n = xs[0].size;
  const params = { n, k: xs.length, s: scale, ...Object.fromEntries(SLOTS.map((j) => [`w${j}`, weights[j] ?? 0])) };
  const y = empty(xs[0].shape, op);
  if (n === 0) return y;
  rt.dispatch({
    kernel: WEIGHTED_SUM,
    params,
    buffers: { ...Object.fromEntries(SLOTS.map((j) => [`x${j}`, (xs[j] ?? xs[0]).buffer])), y: y.buffer },
    groups: grid1d(n, 64),
  });
  return record(y, op, xs, (gy, needs) => {
    const grads = xs.map((x) => empty(x.shape, op));
    // Slots past the inputs still need a writable binding each, and no two may share a buffer.
    const spares = SLOTS.slice(xs.length).map(() => empty([1], op));
    const out = [...grads, ...spares];
    rt.dispatch({
      kernel: WEIGHTED_SUM_GRAD,
      params,
      buffers: { gy: gy.buffer, ...Object.fromEntries(SLOTS.map((j) => [`d${j}`, out[j].buffer])) },
      groups: grid1d(n, 64),
    });
    spares.forEach((t) => t.dispose());
    return grads.map((g, j) => {
      if (needs[j]) return g;
      g.dispose();
      return null;
    });
  });
}
