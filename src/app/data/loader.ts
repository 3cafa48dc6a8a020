// Mini-batch index plans for a split: shuffled (deterministically from a seed, numpy-style MT19937) or in order.

import { MT19937 } from './mt19937';

export interface BatchPlanOptions {
  /** Shuffle with this seed (Fisher-Yates on MT19937); omit for the natural order (evaluation). */
  readonly shuffleSeed?: number;
  /** Drop a last batch smaller than batchSize (default false). */
  readonly dropLast?: boolean;
}

/** Splits 0..n-1 into batches of `batchSize` indices (the last one may be smaller unless dropLast). */
export function batchIndices(n: number, batchSize: number, opts: BatchPlanOptions = {}): Int32Array[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`batchIndices: n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batchIndices: batchSize must be a positive integer, got ${batchSize}`);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  if (opts.shuffleSeed !== undefined) {
    const rng = new MT19937(opts.shuffleSeed >>> 0);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform() * (i + 1));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }
  const out: Int32Array[] = [];
  for (let s = 0; s < n; s += batchSize) {
    if (opts.dropLast && s + batchSize > n) break;
    out.push(order.slice(s, Math.min(n, s + batchSize)));
  }
  return out;
}
