// float64 CPU references for the pointwise and classification losses. Pure TypeScript (no GPU imports).

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

export interface ClassLossRefOptions {
  reduction?: Reduction;
  ignoreIndex?: number;
  labelSmoothing?: number;
}

/**
 * crossEntropy (probs false: class indices; true: probabilities of the logits' shape) and nllLoss (nll true: x holds
 * log-probabilities) on x of shape (N, C, d…), written from PyTorch's documented formulas.
 */
export function classLossRef(
  x: Float64Array,
  target: Float64Array,
  shape: readonly number[],
  kind: 'index' | 'probs' | 'nll',
  { reduction = 'mean', ignoreIndex = -100, labelSmoothing = 0 }: ClassLossRefOptions = {},
): Ref {
  const [N, C] = shape as [number, number];
  const S = shape.slice(2).reduce((a, b) => a * b, 1);
  const eps = kind === 'nll' ? 0 : labelSmoothing;
  const losses = new Float64Array(N * S);
  let count = 0;
  for (let n = 0; n < N; n++) {
    for (let s = 0; s < S; s++) {
      const r = n * S + s;
      const at = (c: number) => (n * C + c) * S + s;
      const t = target[r];
      if (kind !== 'probs' && t === ignoreIndex) continue;
      count++;
      const logp = new Float64Array(C);
      if (kind === 'nll') {
        for (let c = 0; c < C; c++) logp[c] = x[at(c)];
      } else {
        let m = -Infinity;
        for (let c = 0; c < C; c++) m = Math.max(m, x[at(c)]);
        let z = 0;
        for (let c = 0; c < C; c++) z += Math.exp(x[at(c)] - m);
        for (let c = 0; c < C; c++) logp[c] = x[at(c)] - m - Math.log(z);
      }
      for (let c = 0; c < C; c++) {
        const q = kind === 'probs' ? target[at(c)] : c === t ? 1 : 0;
        losses[r] -= ((1 - eps) * q + eps / C) * logp[c];
      }
    }
  }
  if (reduction === 'none') return { data: losses, shape: [N, ...shape.slice(2)] };
  const total = losses.reduce((a, b) => a + b, 0);
  return { data: Float64Array.of(reduction === 'sum' ? total : total / (kind === 'probs' ? N * S : count)), shape: [] };
}

/** bceWithLogits: (1 − t)·x + w·log(1 + e^(−x)), w = 1 + (posWeight[k] − 1)·t, k the index along the last axis. */
export function bceWithLogitsRef(
  x: Float64Array,
  target: Float64Array,
  shape: readonly number[],
  reduction: Reduction = 'mean',
  posWeight?: readonly number[],
): Ref {
  const K = shape.length > 0 ? shape[shape.length - 1] : 1;
  const e = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const w = 1 + ((posWeight?.[i % K] ?? 1) - 1) * target[i];
    const softplusNeg = Math.max(-x[i], 0) + Math.log1p(Math.exp(-Math.abs(x[i])));
    e[i] = (1 - target[i]) * x[i] + w * softplusNeg;
  }
  if (reduction === 'none') return { data: e, shape: [...shape] };
  const total = e.reduce((a, b) => a + b, 0);
  return { data: Float64Array.of(reduction === 'mean' ? total / e.length : total), shape: [] };
}
