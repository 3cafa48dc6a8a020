// The robustness report (src/app/eval/report.ts): aggregation over seeds then rates, Table 1 / per-rate text tables and
// the JSON object. Pure TypeScript.

import { describe, expect, it } from 'vitest';
import { METRIC_KEYS, type RegressionMetrics } from '../src/app/eval/metrics';
import {
  PAPER_RATES,
  formatConditionTable,
  formatMetric,
  formatPerRateTable,
  formatRobustnessReport,
  formatTable1,
  formatTable1Row,
  robustnessJson,
  summarizeConditions,
  summarizeRobustness,
  textTable,
  type RobustnessRecord,
} from '../src/app/eval/report';

const SEEDS = [1111, 1112, 1113];

/** Metrics that vary with rate and seed in a way whose means are easy to work out by hand. */
function fake(rate: number, seedIdx: number): RegressionMetrics {
  const base = 0.8 - 0.3 * rate; // accuracies fall with the missing rate
  const d = (seedIdx - 1) * 0.01; // seeds at −0.01, 0, +0.01: the seed mean is the middle one
  return {
    acc7: base - 0.4 + d,
    acc5: base - 0.35 + d,
    acc2Has0: base + d,
    acc2Non0: base + 0.02 + d,
    f1Has0: base - 0.01 + d,
    f1Non0: base + 0.01 + d,
    mae: 0.7 + rate / 2 + d,
    corr: 0.6 - rate / 2 + d,
  };
}

const grid = (rates: readonly number[], seeds = SEEDS): RobustnessRecord[] =>
  rates.flatMap((rate) => seeds.map((seed, i) => ({ rate, seed, metrics: fake(rate, i) })));

describe('summarizeRobustness', () => {
  it('means over seeds per rate, then over rates (by hand: rates 0.0–0.9 average 0.45)', () => {
    // Shuffled input order, and 0.1 + 0.2 for 0.3: grouping tolerates float noise.
    const recs = grid(PAPER_RATES.map((r) => (r === 0.3 ? 0.1 + 0.2 : r))).reverse();
    const s = summarizeRobustness(recs);
    expect(s.paperProtocol).toBe(true);
    expect(s.seeds).toEqual(SEEDS);
    expect(s.rates.length).toBe(10);
    expect(s.perRate[0].rate).toBe(0);
    // At each rate the seed mean is the middle seed's value; over rates, base = 0.8 − 0.3·0.45 = 0.665.
    for (const p of s.perRate) for (const k of METRIC_KEYS) expect(p.mean[k]).toBeCloseTo(fake(p.rate, 1)[k], 12);
    expect(s.average.acc2Has0).toBeCloseTo(0.665, 12);
    expect(s.average.acc7).toBeCloseTo(0.265, 12);
    expect(s.average.mae).toBeCloseTo(0.925, 12);
    expect(s.average.corr).toBeCloseTo(0.375, 12);
    // Sample std over the three seeds of [−0.01, 0, 0.01] offsets is 0.01.
    expect(s.perRate[4].std.acc7).toBeCloseTo(0.01, 12);
    expect(s.perRate[4].perSeed.map((x) => x.seed)).toEqual(SEEDS);
  });

  it('averages as LNLN does: unequal per-rate values are not weighted by anything', () => {
    const m = (v: number): RegressionMetrics => ({
      acc7: v,
      acc5: v,
      acc2Has0: v,
      acc2Non0: v,
      f1Has0: v,
      f1Non0: v,
      mae: v,
      corr: v,
    });
    const s = summarizeRobustness([
      { rate: 0, seed: 1, metrics: m(0.9) },
      { rate: 0, seed: 2, metrics: m(0.7) },
      { rate: 0.5, seed: 1, metrics: m(0.2) },
      { rate: 0.5, seed: 2, metrics: m(0.4) },
    ]);
    expect(s.perRate.map((p) => p.mean.acc7)).toEqual([0.8, 0.30000000000000004]);
    expect(s.average.acc7).toBeCloseTo(0.55, 15);
    expect(s.paperProtocol).toBe(false);
  });

  it('NaN (Corr of a constant predictor) propagates instead of being dropped', () => {
    const recs = grid([0, 0.5]);
    recs[1].metrics = { ...recs[1].metrics, corr: NaN };
    const s = summarizeRobustness(recs);
    expect(s.perRate[0].mean.corr).toBeNaN();
    expect(s.average.corr).toBeNaN();
    expect(s.perRate[1].mean.corr).not.toBeNaN();
  });

  it('rejects incomplete grids, duplicates, bad rates and missing metrics', () => {
    const recs = grid([0, 0.1, 0.2]).filter((r) => !(r.rate === 0.1 && r.seed === 1112));
    expect(() => summarizeRobustness(recs)).toThrow(/incomplete grid.*rate 0.1 lacks seed 1112/);
    expect(() => summarizeRobustness([...grid([0]), grid([0])[0]])).toThrow(/two records for rate 0.0, seed 1111/);
    expect(() => summarizeRobustness(grid([1.5]))).toThrow(/\[0, 1\]/);
    expect(() => summarizeRobustness([{ rate: 0, seed: 1, metrics: { acc7: 0.5 } as RegressionMetrics }])).toThrow(
      /no number for acc5/,
    );
    expect(() => summarizeRobustness([])).toThrow(/no records/);
  });
});

describe('text tables', () => {
  it('formatMetric: accuracy/F1 ×100 with 2 decimals, MAE/Corr with 3, NaN as –', () => {
    expect(formatMetric('acc7', 0.3447)).toBe('34.47');
    expect(formatMetric('f1Non0', 0.73155)).toBe('73.16');
    expect(formatMetric('acc2Has0', 1)).toBe('100.00');
    expect(formatMetric('mae', 1.0694)).toBe('1.069');
    expect(formatMetric('corr', 0.5)).toBe('0.500');
    expect(formatMetric('corr', NaN)).toBe('–'); // a constant predictor has no correlation
  });

  it("Table 1: explicit Has0/Non0 columns, the paper's precision, aligned columns", () => {
    const dar: RegressionMetrics = {
      acc7: 0.3447,
      acc5: 0.3865,
      acc2Has0: 0.716,
      acc2Non0: 0.7318,
      f1Has0: 0.7151,
      f1Non0: 0.7315,
      mae: 1.069,
      corr: 0.52,
    };
    const text = formatTable1([
      { label: 'DAR (paper)', metrics: dar },
      { label: 'constant predictor', metrics: { ...dar, corr: NaN } },
    ]);
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      'Method              Acc-7  Acc-5  Acc-2 (Has0)  Acc-2 (Non0)  F1 (Has0)  F1 (Non0)    MAE   Corr',
    );
    expect(lines[1]).toMatch(/^-+( +-+){8}$/);
    expect(lines[2]).toBe(
      'DAR (paper)         34.47  38.65         71.60         73.18      71.51      73.15  1.069  0.520',
    );
    expect(lines[3].endsWith('1.069      –')).toBe(true);
    // Every line's columns line up: the same length once trailing spaces go.
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });

  it('Table 1 row of a summary has a caption saying what was averaged; per-rate table has one row per rate + avg', () => {
    const s = summarizeRobustness(grid(PAPER_RATES));
    const row = formatTable1Row(s, 'DAR (webgrad)');
    expect(row.split('\n')[0]).toBe(
      'Table 1 (mean over 10 missing rates (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9) of the mean over 3 seeds (1111, 1112, 1113)):',
    );
    // Base 0.665 → Acc-2 (Has0) 66.50; acc7 0.265 → 26.50; MAE 0.925; Corr 0.375.
    expect(row.split('\n')[3]).toBe(
      'DAR (webgrad)  26.50  31.50         66.50         68.50      65.50      67.50  0.925  0.375',
    );

    const per = formatPerRateTable(s).split('\n');
    expect(per[0]).toBe('Per missing rate (mean over 3 seeds (1111, 1112, 1113)):');
    expect(per.length).toBe(1 + 2 + 10 + 1);
    expect(per[3].startsWith('0.0 ')).toBe(true);
    expect(per[12].startsWith('0.9 ')).toBe(true);
    expect(per[13].startsWith('avg ')).toBe(true);
    // Rate 0.5: base 0.65 → Acc-2 (Has0) 65.00, MAE 0.7 + 0.25 = 0.950.
    expect(per[8]).toMatch(/^0\.5 .* 65\.00 .* 0\.950 +0\.350$/);
    const cells = (l: string) => l.trim().split(/\s+/).slice(-8);
    expect(cells(per[13])).toEqual(cells(row.split('\n')[3])); // the avg row is the Table 1 row
  });

  it("says when the protocol is not the papers' (a quick run with fewer rates or seeds)", () => {
    const s = summarizeRobustness(grid([0, 0.5], [7]));
    expect(formatRobustnessReport(s, 'quick')).toContain(
      "missing rates (0.0, 0.5) of the mean over 1 seed (7) — not the papers' protocol",
    );
  });

  it('textTable pads the first column left-aligned and the others right-aligned', () => {
    expect(
      textTable(
        ['a', 'bb'],
        [
          ['xyz', '1'],
          ['q', '22'],
        ],
      ),
    ).toBe('a    bb\n---  --\nxyz   1\nq    22');
  });
});

describe('JSON', () => {
  it('holds protocol, Table 1 numbers, averages and per-rate/per-seed values; NaN becomes null', () => {
    const recs = grid(PAPER_RATES);
    recs[0].metrics = { ...recs[0].metrics, corr: NaN };
    const s = summarizeRobustness(recs);
    const j = JSON.parse(JSON.stringify(robustnessJson(s, 'DAR (webgrad)')));
    expect(j.method).toBe('DAR (webgrad)');
    expect(j.protocol).toMatchObject({ rates: [...PAPER_RATES], seeds: SEEDS, paperProtocol: true });
    expect(j.table1['Acc-2 (Has0)']).toBe(66.5);
    expect(j.table1['MAE']).toBe(0.925);
    expect(j.table1['Corr']).toBeNull();
    expect(Object.keys(j.table1)).toEqual([
      'Acc-7',
      'Acc-5',
      'Acc-2 (Has0)',
      'Acc-2 (Non0)',
      'F1 (Has0)',
      'F1 (Non0)',
      'MAE',
      'Corr',
    ]);
    expect(j.average.acc2Has0).toBeCloseTo(0.665, 12);
    expect(j.perRate.length).toBe(10);
    expect(j.perRate[0].perSeed[0].metrics.corr).toBeNull();
    expect(j.perRate[3].perSeed[2]).toEqual({ seed: 1113, metrics: fake(0.3, 2) });
    expect(j.perRate[3].std.acc5).toBeCloseTo(0.01, 12);
  });
});

describe('summarizeConditions', () => {
  it('means over seeds per named condition, in first-seen order, and prints one row each', () => {
    const recs = ['L', 'A+V'].flatMap((condition, c) =>
      SEEDS.map((seed, i) => ({ condition, seed, metrics: fake(0.1 * c, i) })),
    );
    const s = summarizeConditions([...recs].reverse().reverse());
    expect(s.map((r) => r.condition)).toEqual(['L', 'A+V']);
    for (const k of METRIC_KEYS) expect(s[1].mean[k]).toBeCloseTo(fake(0.1, 1)[k], 12);
    expect(s[0].perSeed.map((p) => p.seed)).toEqual(SEEDS);
    const t = formatConditionTable('Absent modalities', s).split('\n');
    expect(t[0]).toBe('Absent modalities:');
    expect(t[1]).toMatch(/^Absent\s+Acc-7/);
    expect(t[3]).toMatch(/^L\s+40\.00\s/); // acc7 = 0.8 − 0.4 at rate 0, middle seed
    expect(t[4]).toMatch(/^A\+V\s+37\.00\s/);
  });

  it('refuses a grid with a missing or repeated seed', () => {
    const m = fake(0, 0);
    expect(() =>
      summarizeConditions([
        { condition: 'L', seed: 1, metrics: m },
        { condition: 'A', seed: 2, metrics: m },
      ]),
    ).toThrow(/condition L lacks seed 2/);
    expect(() =>
      summarizeConditions([
        { condition: 'L', seed: 1, metrics: m },
        { condition: 'L', seed: 1, metrics: m },
      ]),
    ).toThrow(/two records/);
    expect(() => summarizeConditions([])).toThrow(/no records/);
  });
});
