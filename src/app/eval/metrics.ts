// Regression metrics of MMSA / LNLN (`__eval_mosei_regression`), reproduced to the last bit where that is possible.
//
// What MMSA computes, on float32 numpy arrays of predictions and labels (docs/models.md §4):
//   Acc-7 / Acc-5   np.round(np.clip(x, ±3 or ±2)) equal for prediction and truth; np.round is half-to-EVEN.
//   Acc-2 (Has0)    truth >= 0 vs pred >= 0 over all samples (zero labels count as non-negative).
//   Acc-2 (Non0)    samples with truth != 0 only (exact float32 comparison; -0 is zero), then > 0.
//   F1 (Has0/Non0)  sklearn f1_score(truth, pred, average='weighted') on the same booleans. (An early LNLN commit
//                   passed (pred, truth), which weights by predicted-class support; its current code and MMSA do not.)
//   MAE             np.mean(np.absolute(pred - truth)) in float32 (numpy's pairwise summation), unclipped.
//   Corr            np.corrcoef(pred, truth)[0][1] in float64, unclipped; NaN for a constant input.
//   every value     round(x, 4).
//
// Rounding follows numpy's rule for numpy scalars (rint(x·10⁴)/10⁴ in the scalar's own precision), not Python's,
// since that is what MMSA's numbers went through; weighted F1 follows sklearn 1.2 and Pearson r np.cov. Where MMSA
// has no answer (Non0 with every label 0, Corr of a constant) the result is NaN. Why each, with the cases where the
// rules differ: docs/decisions/metrics.md.

import { WebgradError } from '../../engine/errors';

/** The eight numbers of MMSA's regression evaluation; accuracies and F1 as fractions in [0, 1]. */
export interface RegressionMetrics {
  /** 7-class accuracy: classes round(clip(x, −3, 3)), half to even. */
  acc7: number;
  /** 5-class accuracy: classes round(clip(x, −2, 2)), half to even. */
  acc5: number;
  /** Binary accuracy, negative vs non-negative, all samples. */
  acc2Has0: number;
  /** Binary accuracy, negative vs positive, samples with a non-zero label only. */
  acc2Non0: number;
  /** Weighted F1, negative vs non-negative, all samples. */
  f1Has0: number;
  /** Weighted F1, negative vs positive, samples with a non-zero label only. */
  f1Non0: number;
  /** Mean absolute error on the raw (unclipped) values. */
  mae: number;
  /** Pearson correlation on the raw values; NaN when either side is constant. */
  corr: number;
}

/** The metric keys in the order tables print them. */
export const METRIC_KEYS = ['acc7', 'acc5', 'acc2Has0', 'acc2Non0', 'f1Has0', 'f1Non0', 'mae', 'corr'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

/** Column labels, with Has0/Non0 spelled out (papers disagree on the order of the `x / y` pairs). */
export const METRIC_LABELS: Record<MetricKey, string> = {
  acc7: 'Acc-7',
  acc5: 'Acc-5',
  acc2Has0: 'Acc-2 (Has0)',
  acc2Non0: 'Acc-2 (Non0)',
  f1Has0: 'F1 (Has0)',
  f1Non0: 'F1 (Non0)',
  mae: 'MAE',
  corr: 'Corr',
};

/** MMSA's / LNLN's names for the same numbers (the keys of their `eval_results`). */
export const MMSA_KEYS: Record<MetricKey, string> = {
  acc7: 'Mult_acc_7',
  acc5: 'Mult_acc_5',
  acc2Has0: 'Has0_acc_2',
  acc2Non0: 'Non0_acc_2',
  f1Has0: 'Has0_F1_score',
  f1Non0: 'Non0_F1_score',
  mae: 'MAE',
  corr: 'Corr',
};

export interface MetricsOptions {
  /** Round each value to 4 decimals as MMSA does (default true); false gives the raw values. */
  round?: boolean;
}

/**
 * MMSA's regression metrics of `preds` against `truth` (same length ≥ 1). Plain number arrays are first rounded to
 * float32, as the values MMSA sees are float32 tensors.
 */
export function regressionMetrics(
  preds: ArrayLike<number>,
  truth: ArrayLike<number>,
  opts: MetricsOptions = {},
): RegressionMetrics {
  const op = 'regressionMetrics';
  if (preds.length !== truth.length) {
    throw new WebgradError(op, `predictions and labels differ in length (${preds.length} vs ${truth.length})`);
  }
  if (preds.length === 0) throw new WebgradError(op, 'needs at least one sample');
  const p = preds instanceof Float32Array ? preds : Float32Array.from(preds);
  const t = truth instanceof Float32Array ? truth : Float32Array.from(truth);
  const n = p.length;

  // Has0: all samples; Non0: exact non-zero labels only (`e != 0` is false for -0 as well).
  const predNonNeg: boolean[] = [];
  const truthNonNeg: boolean[] = [];
  const predPos: boolean[] = [];
  const truthPos: boolean[] = [];
  for (let i = 0; i < n; i++) {
    predNonNeg.push(p[i] >= 0);
    truthNonNeg.push(t[i] >= 0);
    if (t[i] !== 0) {
      predPos.push(p[i] > 0);
      truthPos.push(t[i] > 0);
    }
  }
  const raw: RegressionMetrics = {
    acc7: multiclassAccuracy(p, t, 3),
    acc5: multiclassAccuracy(p, t, 2),
    acc2Has0: accuracy(truthNonNeg, predNonNeg),
    acc2Non0: truthPos.length ? accuracy(truthPos, predPos) : NaN,
    f1Has0: weightedF1(truthNonNeg, predNonNeg),
    f1Non0: truthPos.length ? weightedF1(truthPos, predPos) : NaN,
    mae: meanAbsErrorF32(p, t),
    corr: pearson(p, t),
  };
  if (opts.round === false) return raw;
  const out = {} as RegressionMetrics;
  for (const k of METRIC_KEYS) out[k] = k === 'mae' ? npRound(raw[k], 4, true) : npRound(raw[k], 4);
  return out;
}

// ------------------------------------------------------------------------------------------------- rounding

/** Round half to even (numpy's np.round / np.rint): 0.5 → 0, 1.5 → 2, 2.5 → 2, −0.5 → −0. NaN and ±∞ pass through. */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const d = x - f; // exact: both are doubles within one unit of each other
  if (d < 0.5) return f === 0 && x < 0 ? -0 : f;
  if (d > 0.5) return f + 1 === 0 ? -0 : f + 1;
  const r = f % 2 === 0 ? f : f + 1;
  return r === 0 && x < 0 ? -0 : r;
}

/**
 * numpy's round(x, decimals) for a numpy scalar: rint(x·10^d)/10^d in float64, or in float32 when `float32` (the
 * product is rounded to float32 before rint). A float32 result is returned as the nearest double to k/10^d.
 */
export function npRound(x: number, decimals: number, float32 = false): number {
  const scale = 10 ** decimals;
  if (!float32) return roundHalfEven(x * scale) / scale;
  // x·10^d of a float32 x and 10^d ≤ 10^7 is exact in float64, so one fround is numpy's float32 multiply.
  return roundHalfEven(Math.fround(Math.fround(x) * scale)) / scale;
}

// ------------------------------------------------------------------------------------------------- pieces

/** Fraction of samples whose classes round(clip(x, −c, c)) agree (np.clip, then np.round half to even). */
export function multiclassAccuracy(preds: Float32Array, truth: Float32Array, clip: number): number {
  let hits = 0;
  for (let i = 0; i < preds.length; i++) {
    if (roundHalfEven(clamp(preds[i], clip)) === roundHalfEven(clamp(truth[i], clip))) hits++;
  }
  return hits / preds.length;
}

// np.clip keeps NaN (and so does this: comparisons with NaN are false).
const clamp = (x: number, c: number): number => (x < -c ? -c : x > c ? c : x);

/** sklearn accuracy_score for labels: the fraction of equal entries. */
export function accuracy(truth: readonly boolean[], pred: readonly boolean[]): number {
  let hits = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === pred[i]) hits++;
  return hits / truth.length;
}

/**
 * sklearn f1_score(truth, pred, average='weighted') for boolean labels (version 1.2 arithmetic, see the top of this
 * file): per-class F1 over the classes in truth ∪ pred, averaged with the truth support as weights. A class that
 * occurs only among the predictions has weight 0; 0 if no class has support (empty input).
 */
export function weightedF1(truth: readonly boolean[], pred: readonly boolean[]): number {
  let tp1 = 0,
    fp1 = 0,
    fn1 = 0,
    tn1 = 0; // counts for class `true`; class `false` mirrors them
  for (let i = 0; i < truth.length; i++) {
    if (truth[i] && pred[i]) tp1++;
    else if (!truth[i] && pred[i]) fp1++;
    else if (truth[i] && !pred[i]) fn1++;
    else tn1++;
  }
  const classes = [
    { present: tp1 + fp1 + fn1 > 0, tp: tp1, predSum: tp1 + fp1, trueSum: tp1 + fn1 },
    { present: tn1 + fn1 + fp1 > 0, tp: tn1, predSum: tn1 + fn1, trueSum: tn1 + fp1 },
  ];
  let weighted = 0;
  let support = 0;
  for (const c of classes) {
    if (!c.present) continue;
    const p = c.predSum ? c.tp / c.predSum : 0;
    const r = c.trueSum ? c.tp / c.trueSum : 0;
    const denom = p + r;
    const f1 = (2 * p * r) / (denom === 0 ? 1 : denom);
    weighted += f1 * c.trueSum;
    support += c.trueSum;
  }
  return support === 0 ? 0 : weighted / support;
}

/** np.mean(np.absolute(pred − truth)) of float32 arrays: float32 differences, float32 pairwise sum, float32 mean. */
export function meanAbsErrorF32(preds: Float32Array, truth: Float32Array): number {
  const d = new Float32Array(preds.length);
  for (let i = 0; i < d.length; i++) d[i] = Math.abs(preds[i] - truth[i]); // Float32Array stores round to float32
  return Math.fround(pairwiseSum(d, 0, d.length, Math.fround) / d.length);
}

/**
 * numpy's pairwise summation (8 accumulators in blocks of at most 128 elements, halves above that). `rnd` rounds
 * every partial sum to the array's precision: Math.fround for float32, identity for float64.
 */
export function pairwiseSum(
  a: ArrayLike<number>,
  start: number,
  n: number,
  rnd: (x: number) => number = (x) => x,
): number {
  if (n < 8) {
    let s = 0;
    for (let i = 0; i < n; i++) s = rnd(s + a[start + i]);
    return s;
  }
  if (n <= 128) {
    const r = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let j = 0; j < 8; j++) r[j] = a[start + j];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] = rnd(r[j] + a[start + i + j]);
    let s = rnd(rnd(rnd(r[0] + r[1]) + rnd(r[2] + r[3])) + rnd(rnd(r[4] + r[5]) + rnd(r[6] + r[7])));
    for (; i < n; i++) s = rnd(s + a[start + i]);
    return s;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return rnd(pairwiseSum(a, start, n2, rnd) + pairwiseSum(a, start + n2, n - n2, rnd));
}

/** np.corrcoef(x, y)[0][1] in float64 (see the top of this file); NaN when x or y is constant. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  const mx = pairwiseSum(x, 0, n) / n;
  const my = pairwiseSum(y, 0, n) / n;
  const xc = new Float64Array(n);
  const yc = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xc[i] = x[i] - mx;
    yc[i] = y[i] - my;
  }
  const prod = (a: Float64Array, b: Float64Array) => {
    const t = new Float64Array(n);
    for (let i = 0; i < n; i++) t[i] = a[i] * b[i];
    return pairwiseSum(t, 0, n);
  };
  const inv = 1 / (n - 1); // np.cov multiplies by the reciprocal of n − ddof
  const sx = Math.sqrt(prod(xc, xc) * inv);
  const sy = Math.sqrt(prod(yc, yc) * inv);
  const r = (prod(xc, yc) * inv) / sx / sy; // 0/0 = NaN for a constant side, as in numpy
  return Number.isNaN(r) ? NaN : Math.min(1, Math.max(-1, r));
}
