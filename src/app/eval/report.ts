// The robustness report: metrics measured at several missing rates with several training seeds, aggregated the way
// LNLN and DAR report them (docs/models.md §3), and printed as plain fixed-width text that a terminal and a web page
// can both show, plus a JSON object.
//
// Aggregation: at each missing rate, the mean over seeds of each metric (the per-seed values as given, normally
// already rounded to 4 decimals as MMSA does); the paper's number is the mean over the rates of those means. Table 1
// prints accuracy and F1 ×100 with 2 decimals and MAE / Corr with 3, and always spells out Has0 / Non0 (the papers
// disagree on the order of their `x / y` pairs, docs/models.md §3.3).

import { WebgradError } from '../../engine/errors';
import { METRIC_KEYS, METRIC_LABELS, type MetricKey, type RegressionMetrics } from './metrics';

/** One evaluation: the test set corrupted at `rate`, scored for the model trained with `seed`. */
export interface RobustnessRecord {
  rate: number;
  seed: number;
  metrics: RegressionMetrics;
}

export interface RateSummary {
  rate: number;
  /** Mean over seeds. */
  mean: RegressionMetrics;
  /** Sample standard deviation over seeds (n − 1; NaN with one seed). */
  std: RegressionMetrics;
  perSeed: { seed: number; metrics: RegressionMetrics }[];
}

export interface RobustnessSummary {
  /** Ascending. */
  rates: number[];
  /** Ascending; every rate has exactly these. */
  seeds: number[];
  perRate: RateSummary[];
  /** Mean over rates of the per-rate means: the number a paper's Table 1 reports. */
  average: RegressionMetrics;
  /** True when this is the papers' protocol: rates 0.0, 0.1, …, 0.9 and three seeds. */
  paperProtocol: boolean;
}

/** The missing rates of the papers' robustness evaluation. */
export const PAPER_RATES: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** Accuracy and F1 print ×100 with 2 decimals; MAE and Corr as they are with 3. */
const isPercent = (k: MetricKey) => k !== 'mae' && k !== 'corr';

// Rates are compared at 1e-6 so 0.30000000000000004 and 0.3 are the same rate.
const rateKey = (r: number) => Math.round(r * 1e6);

/**
 * Groups records by rate and seed. Throws unless every rate has the same seeds, each exactly once, and all metric
 * values are numbers (NaN is allowed: a constant predictor has no correlation).
 */
export function summarizeRobustness(records: readonly RobustnessRecord[]): RobustnessSummary {
  const op = 'summarizeRobustness';
  if (!records.length) throw new WebgradError(op, 'no records');
  const byRate = new Map<number, { rate: number; cells: Map<number, RegressionMetrics> }>();
  for (const r of records) {
    if (!Number.isFinite(r.rate) || r.rate < 0 || r.rate > 1)
      throw new WebgradError(op, `missing rate must be in [0, 1], got ${r.rate}`);
    if (!Number.isInteger(r.seed)) throw new WebgradError(op, `seed must be an integer, got ${r.seed}`);
    for (const k of METRIC_KEYS) {
      if (typeof r.metrics?.[k] !== 'number')
        throw new WebgradError(op, `record (rate ${fmtRate(r.rate)}, seed ${r.seed}) has no number for ${k}`);
    }
    let g = byRate.get(rateKey(r.rate));
    if (!g) byRate.set(rateKey(r.rate), (g = { rate: r.rate, cells: new Map() }));
    if (g.cells.has(r.seed)) throw new WebgradError(op, `two records for rate ${fmtRate(r.rate)}, seed ${r.seed}`);
    g.cells.set(r.seed, r.metrics);
  }
  const groups = [...byRate.values()].sort((a, b) => a.rate - b.rate);
  const seeds = [...new Set(records.map((r) => r.seed))].sort((a, b) => a - b);
  const gaps: string[] = [];
  for (const g of groups) {
    const lacking = seeds.filter((s) => !g.cells.has(s));
    if (lacking.length)
      gaps.push(`rate ${fmtRate(g.rate)} lacks seed${lacking.length > 1 ? 's' : ''} ${lacking.join(', ')}`);
  }
  if (gaps.length) throw new WebgradError(op, `incomplete grid of rates × seeds: ${gaps.join('; ')}`);

  const perRate: RateSummary[] = groups.map((g) => {
    const perSeed = seeds.map((seed) => ({ seed, metrics: g.cells.get(seed)! }));
    const ms = perSeed.map((p) => p.metrics);
    return { rate: g.rate, mean: meanOf(ms), std: stdOf(ms), perSeed };
  });
  const rates = groups.map((g) => g.rate);
  const paperProtocol =
    seeds.length === 3 &&
    rates.length === PAPER_RATES.length &&
    PAPER_RATES.every((r, i) => rateKey(r) === rateKey(rates[i]));
  return { rates, seeds, perRate, average: meanOf(perRate.map((p) => p.mean)), paperProtocol };
}

function meanOf(ms: readonly RegressionMetrics[]): RegressionMetrics {
  const out = {} as RegressionMetrics;
  for (const k of METRIC_KEYS) out[k] = ms.reduce((s, m) => s + m[k], 0) / ms.length;
  return out;
}

function stdOf(ms: readonly RegressionMetrics[]): RegressionMetrics {
  const out = {} as RegressionMetrics;
  const mean = meanOf(ms);
  for (const k of METRIC_KEYS) {
    out[k] = ms.length < 2 ? NaN : Math.sqrt(ms.reduce((s, m) => s + (m[k] - mean[k]) ** 2, 0) / (ms.length - 1));
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ formatting

/**
 * A metric as the papers print it: accuracy / F1 ×100 with 2 decimals, MAE / Corr with 3. NaN (the Corr of a constant
 * predictor, which has no correlation) prints as "–", as the papers' tables mark a value that does not exist.
 */
export function formatMetric(key: MetricKey, value: number): string {
  if (Number.isNaN(value)) return '–';
  return isPercent(key) ? (value * 100).toFixed(2) : value.toFixed(3);
}

/** "0.3" for 0.3, "0.25" for 0.25 (at most 4 decimals, at least 1). */
export function fmtRate(r: number): string {
  const s = String(Number(r.toFixed(4)));
  return s.includes('.') ? s : `${s}.0`;
}

/** Fixed-width text: the first column left-aligned, the others right-aligned, a dashed rule under the header. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((s, c) => (c === 0 ? s.padEnd(widths[c]) : s.padStart(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const metricHeader = METRIC_KEYS.map((k) => METRIC_LABELS[k]);

/** One-line description of what a summary averages over. */
export function describeProtocol(s: RobustnessSummary): string {
  const rates =
    s.rates.length === 1
      ? `missing rate ${fmtRate(s.rates[0])}`
      : `${s.rates.length} missing rates (${s.rates.map(fmtRate).join(', ')})`;
  const seeds = `${s.seeds.length} seed${s.seeds.length > 1 ? 's' : ''} (${s.seeds.join(', ')})`;
  const note = s.paperProtocol ? '' : " — not the papers' protocol of rates 0.0–0.9 × 3 seeds";
  return `mean over ${rates} of the mean over ${seeds}${note}`;
}

/**
 * The paper's Table 1: one row per method (each an average over rates, e.g. `summary.average`), accuracy and F1
 * ×100, MAE and Corr to 3 decimals.
 */
export function formatTable1(rows: readonly { label: string; metrics: RegressionMetrics }[]): string {
  return textTable(
    ['Method', ...metricHeader],
    rows.map((r) => [r.label, ...METRIC_KEYS.map((k) => formatMetric(k, r.metrics[k]))]),
  );
}

/** Table 1's row for one summary, under a caption saying what it averages. */
export function formatTable1Row(summary: RobustnessSummary, label: string): string {
  return `Table 1 (${describeProtocol(summary)}):\n${formatTable1([{ label, metrics: summary.average }])}`;
}

/** One row per missing rate (means over seeds), then the average row. */
export function formatPerRateTable(summary: RobustnessSummary): string {
  const rows = summary.perRate.map((p) => [fmtRate(p.rate), ...METRIC_KEYS.map((k) => formatMetric(k, p.mean[k]))]);
  rows.push(['avg', ...METRIC_KEYS.map((k) => formatMetric(k, summary.average[k]))]);
  const seeds = `mean over ${summary.seeds.length} seed${summary.seeds.length > 1 ? 's' : ''} (${summary.seeds.join(', ')})`;
  return `Per missing rate (${seeds}):\n${textTable(['Rate', ...metricHeader], rows)}`;
}

/** Both tables, as the CLI prints them. */
export function formatRobustnessReport(summary: RobustnessSummary, label: string): string {
  return `${formatTable1Row(summary, label)}\n\n${formatPerRateTable(summary)}`;
}

/** Table 1's cells as numbers, keyed by column label ("Acc-2 (Has0)": 71.6, "MAE": 1.069, ...). */
export function table1Values(m: RegressionMetrics): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of METRIC_KEYS) out[METRIC_LABELS[k]] = Number(formatMetric(k, m[k]));
  return out;
}

/**
 * The whole report as a JSON-ready object. Metrics are fractions (as measured); `table1` holds the printed numbers.
 * NaN values (Corr of a constant predictor) become null under JSON.stringify.
 */
export function robustnessJson(summary: RobustnessSummary, label: string) {
  return {
    method: label,
    protocol: {
      rates: summary.rates,
      seeds: summary.seeds,
      aggregation: 'mean over seeds at each missing rate, then mean over rates',
      paperProtocol: summary.paperProtocol,
    },
    table1: table1Values(summary.average),
    average: summary.average,
    perRate: summary.perRate.map((p) => ({ rate: p.rate, mean: p.mean, std: p.std, perSeed: p.perSeed })),
  };
}

// ----------------------------------------------------------------------------- named conditions (modalities absent)

/** One seed's metrics under one named condition (e.g. "L+A" = text and audio absent). */
export interface ConditionRecord {
  condition: string;
  seed: number;
  metrics: RegressionMetrics;
}

export interface ConditionSummary {
  condition: string;
  mean: RegressionMetrics;
  perSeed: { seed: number; metrics: RegressionMetrics }[];
}

/** Means over seeds per condition, in the order conditions first appear; every condition must have the same seeds. */
export function summarizeConditions(records: readonly ConditionRecord[]): ConditionSummary[] {
  const op = 'summarizeConditions';
  if (!records.length) throw new WebgradError(op, 'no records');
  const groups = new Map<string, Map<number, RegressionMetrics>>();
  for (const r of records) {
    let g = groups.get(r.condition);
    if (!g) groups.set(r.condition, (g = new Map()));
    if (g.has(r.seed)) throw new WebgradError(op, `two records for condition ${r.condition}, seed ${r.seed}`);
    g.set(r.seed, r.metrics);
  }
  const seeds = [...new Set(records.map((r) => r.seed))].sort((a, b) => a - b);
  return [...groups].map(([condition, cells]) => {
    const lacking = seeds.filter((s) => !cells.has(s));
    if (lacking.length)
      throw new WebgradError(
        op,
        `condition ${condition} lacks seed${lacking.length > 1 ? 's' : ''} ${lacking.join(', ')}`,
      );
    const perSeed = seeds.map((seed) => ({ seed, metrics: cells.get(seed)! }));
    return { condition, mean: meanOf(perSeed.map((p) => p.metrics)), perSeed };
  });
}

/** One row per condition (means over seeds), under a caption. */
export function formatConditionTable(
  caption: string,
  rows: readonly ConditionSummary[],
  firstColumn = 'Absent',
): string {
  const body = rows.map((r) => [r.condition, ...METRIC_KEYS.map((k) => formatMetric(k, r.mean[k]))]);
  return `${caption}:\n${textTable([firstColumn, ...metricHeader], body)}`;
}
