// float64 CPU references for the pointwise losses. Pure TypeScript (no GPU imports).

import type { Ref } from './shape.reference';

export type Reduction = 'mean' | 'sum' | 'none';

function pointwise(
  f: (d: number) => number,
  pred: Float64Array,
  target: Float64Array,
  shape: readonly number[],
  reduction: Reduction,
): Ref {
  const e = new Float64Array(pred.length);
  for (let i = 0; i < e.length; i++) e[i] = f(pred[i] - target[i]);
  if (reduction === 'none') return { data: e, shape: [...shape] };
  let s = 0;
  for (const v of e) s += v;
  return { data: Float64Array.of(reduction === 'mean' ? s / e.length : s), shape: [] };
}

export const mseLossRef = (
  pred: Float64Array,
  target: Float64Array,
  shape: readonly number[],
  reduction: Reduction = 'mean',
): Ref => pointwise((d) => d * d, pred, target, shape, reduction);

export const l1LossRef = (
  pred: Float64Array,
  target: Float64Array,
  shape: readonly number[],
  reduction: Reduction = 'mean',
): Ref => pointwise(Math.abs, pred, target, shape, reduction);
