// MMSA regression metrics (src/app/eval/metrics.ts): hand-checked cases, then exact agreement with MMSA's own code run by
// numpy + scikit-learn (test/fixtures/metrics.json, made by test/fixtures/make_metrics_fixture.py). Pure TypeScript.

import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  METRIC_KEYS,
  MMSA_KEYS,
  meanAbsErrorF32,
  npRound,
  pairwiseSum,
  pearson,
  regressionMetrics,
  roundHalfEven,
  weightedF1,
} from '../src/app/eval/metrics';

/** test/fixtures/metrics.json: MMSA's metrics (keys as MMSA names them; null for NaN) on cases, and rounding probes. */
interface MetricsFixture {
  generator: string;
  numpy: string;
  sklearn: string;
  cases: {
    name: string;
    preds: number[];
    truth: number[];
    expected: Record<string, number | null>;
    raw: Record<string, number | null>;
  }[];
  rounding: { value: number; f32value: number; numpy64: number; numpy32: number; python: number }[];
}
const fixture: MetricsFixture = JSON.parse(
  fs.readFileSync(new URL('./fixtures/metrics.json', import.meta.url), 'utf8'),
);

describe('rounding', () => {
  it('roundHalfEven matches np.round, including negative ties and -0', () => {
    const cases: [number, number][] = [
      [0.5, 0],
      [1.5, 2],
      [2.5, 2],
      [-0.5, -0],
      [-1.5, -2],
      [-2.5, -2],
      [3.5, 4],
      [0.49999997, 0],
      [0.5000001, 1],
      [-0.2, -0],
      [2.7, 3],
      [-2.7, -3],
      [0, 0],
    ];
    for (const [x, want] of cases) expect(Object.is(roundHalfEven(x), want), `${x} -> ${roundHalfEven(x)}`).toBe(true);
    expect(roundHalfEven(NaN)).toBeNaN();
  });

  it('npRound is numpy scalar rounding, not Python float rounding (tricky ties), in float64 and float32', () => {
    // By hand: 0.00025·10⁴ = 2.5 exactly in binary, so numpy rounds to even (0.0002) where Python, looking at the
    // exact binary value 0.000250000000000000005…, says 0.0003.
    expect(npRound(0.00025, 4)).toBe(0.0002);
    // float32(0.00035) = 0.000349999987…; its product with 10⁴ in float32 is 3.5 exactly → 0.0003; float64 → 0.0004.
    expect(npRound(Math.fround(0.00035), 4, true)).toBe(0.0003);
    expect(npRound(0.00035, 4)).toBe(0.0004);
    for (const r of fixture.rounding) {
      expect(npRound(r.value, 4), `numpy64 ${r.value}`).toBe(r.numpy64);
      expect(npRound(r.f32value, 4, true), `numpy32 ${r.value}`).toBe(r.numpy32);
    }
    // The fixture does contain cases where Python's rule differs, so the comparison above can tell the two apart.
    expect(fixture.rounding.some((r) => r.python !== r.numpy64)).toBe(true);
  });
});

describe('hand-checked metrics', () => {
  it('the half-even case: [0.5, 1.5, 2.5, -0.5] vs [0, 2, 2, 0] → Acc-7 = 1 (Math.round would give 0.5)', () => {
    const m = regressionMetrics([0.5, 1.5, 2.5, -0.5], [0, 2, 2, 0]);
    expect(m.acc7).toBe(1);
    expect(m.acc5).toBe(1); // 2.5 clips to 2
    // Has0: truth ≥ 0 everywhere, pred −0.5 < 0 → 3/4. Non0: only the two 2's remain, both predicted positive.
    expect(m.acc2Has0).toBe(0.75);
    expect(m.acc2Non0).toBe(1);
    // F1 (Has0): class true: TP 3, FP 0, FN 1 → p 1, r 3/4, F1 6/7 with support 4; class false has support 0.
    expect(m.f1Has0).toBe(0.8571);
    expect(m.f1Non0).toBe(1);
    expect(m.mae).toBe(0.5); // (0.5 + 0.5 + 0.5 + 0.5) / 4
  });

  it('clipping: predictions beyond ±3 (Acc-7) and ±2 (Acc-5) share the extreme class; MAE is unclipped', () => {
    const m = regressionMetrics([5, -9, 2.6, 1.6], [3, -3, 2.2, 2.9]);
    // Acc-7: 5→3 vs 3 ✓, −9→−3 vs −3 ✓, round(2.6) = 3 vs round(2.2) = 2 ✗, round(1.6) = 2 vs round(2.9) = 3 ✗.
    expect(m.acc7).toBe(0.5);
    // Acc-5: 2 vs 2 ✓, −2 vs −2 ✓, 2.6→2 vs 2.2→2 ✓, round(1.6) = 2 vs 2.9→2 ✓.
    expect(m.acc5).toBe(1);
    expect(m.mae).toBeCloseTo((2 + 6 + 0.4 + 1.3) / 4, 6);
  });

  it('weighted F1 with one class absent from the truth and from the predictions', () => {
    // truth all true; pred [T, T, F]: class true p = 1, r = 2/3, F1 = 0.8, support 3; class false support 0.
    expect(weightedF1([true, true, true], [true, true, false])).toBeCloseTo(0.8, 15);
    // pred all false, truth [T, F, F, F]: class false p = 3/4, r = 1, F1 = 6/7 (support 3); class true F1 = 0.
    expect(weightedF1([true, false, false, false], [false, false, false, false])).toBeCloseTo((3 * 6) / 7 / 4, 15);
    // A single class everywhere: perfect.
    expect(weightedF1([false, false], [false, false])).toBe(1);
  });

  it('Non0 drops exactly-zero labels (and -0), keeps tiny non-zero ones; Has0 counts zero as non-negative', () => {
    const preds = [-1, -1, 0.3, -0.2, 0.5];
    const truth = [0, -0, 1e-7, -2, 0];
    const m = regressionMetrics(preds, truth);
    // Non0 keeps samples 2 (1e-7 > 0, pred 0.3 > 0 ✓) and 3 (−2, pred −0.2 ✓) → 1.
    expect(m.acc2Non0).toBe(1);
    expect(m.f1Non0).toBe(1);
    // Has0: truth ≥ 0 is [T, T, T, F, T]; pred ≥ 0 is [F, F, T, F, T] → 3/5.
    expect(m.acc2Has0).toBe(0.6);
    // Every label exactly zero: no Non0 samples (MMSA raises there); we return NaN.
    const z = regressionMetrics([1, -1], [0, 0]);
    expect(z.acc2Non0).toBeNaN();
    expect(z.f1Non0).toBeNaN();
    expect(z.acc2Has0).toBe(0.5);
  });

  it('Corr: NaN for a constant prediction, ±1 for exact linear relations, and a hand value', () => {
    expect(regressionMetrics([0.1, 0.1, 0.1], [1, 2, 3]).corr).toBeNaN();
    expect(pearson([1, 2, 3, 4], [2, 4, 6, 8])).toBe(1);
    expect(pearson([1, 2, 3, 4], [8, 6, 4, 2])).toBe(-1);
    // x = [1, 2, 3], y = [1, 3, 2]: centred [−1, 0, 1]·[−1, 1, 0] = 1, each sum of squares 2 → r = 0.5.
    expect(pearson([1, 2, 3], [1, 3, 2])).toBeCloseTo(0.5, 15);
  });

  it('inputs are float32: 0.1 as a label is float32(0.1), so a float32 prediction of 0.1 is an exact hit', () => {
    const m = regressionMetrics(new Float32Array([0.1]), [0.1], { round: false });
    expect(m.mae).toBe(0);
  });

  it('rejects mismatched lengths and empty input', () => {
    expect(() => regressionMetrics([1, 2], [1])).toThrow(/differ in length/);
    expect(() => regressionMetrics([], [])).toThrow(/at least one/);
  });
});

describe('agreement with MMSA (numpy + scikit-learn fixture)', () => {
  it(`fixture was made by MMSA's code (numpy ${fixture.numpy}, sklearn ${fixture.sklearn})`, () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(8);
  });

  for (const c of fixture.cases) {
    it(`${c.name} (n = ${c.preds.length}): every rounded value identical, raw values bit-exact where numpy is`, () => {
      const preds = Float32Array.from(c.preds);
      const truth = Float32Array.from(c.truth);
      const got = regressionMetrics(preds, truth);
      const raw = regressionMetrics(preds, truth, { round: false });
      for (const k of METRIC_KEYS) {
        const want = c.expected[MMSA_KEYS[k]];
        if (want === null) expect(got[k], k).toBeNaN();
        else expect(got[k], `${k} rounded`).toBe(want);
        const wantRaw = c.raw[MMSA_KEYS[k]];
        if (wantRaw === null) expect(raw[k], k).toBeNaN();
        else if (k === 'corr') expect(Math.abs(raw[k] - wantRaw), `${k} raw`).toBeLessThan(1e-14);
        else expect(raw[k], `${k} raw`).toBe(wantRaw); // MAE: numpy's float32 pairwise sum, bit for bit
      }
    });
  }
});

describe('pieces', () => {
  it('pairwiseSum in float32 differs from a naive float32 loop and matches the fixture MAE (n = 1000)', () => {
    const c = fixture.cases.find((x) => x.preds.length === 1000)!; // the fixture has one (made so)
    const p = Float32Array.from(c.preds);
    const t = Float32Array.from(c.truth);
    expect(meanAbsErrorF32(p, t)).toBe(c.raw.MAE);
    const d = p.map((x, i) => Math.abs(x - t[i]));
    let naive = 0;
    for (const x of d) naive = Math.fround(naive + x);
    // The fixture agreement above is only meaningful if summation order matters for this data.
    expect(Math.fround(naive / d.length)).not.toBe(c.raw.MAE);
    expect(pairwiseSum([1, 2, 3], 0, 3)).toBe(6);
  });
});
