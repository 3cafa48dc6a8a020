// The HTML report of a run: one self-contained file (inline CSS and SVG, no scripts, no external resources) with the
// same numbers `npm start` prints — Table 1's row, the per-rate table, the robustness curves (Acc-2, Acc-7 and MAE
// against the missing rate, as in the paper's Figure 4) and the loss curves of every term from the epoch histories.
// The input is the results.json object `npm start` writes (src/app/cli/start.ts); the demo page builds the same object.
// Pure: the same input gives the same string.

import { formatMetric, fmtRate } from '../eval/report';
import { METRIC_KEYS, METRIC_LABELS, type MetricKey } from '../eval/metrics';
import { esc, lineChart, PALETTE, type Series } from './svg';
import type { DecouplingProbe } from '../eval/probes';

/** Metrics as stored: fractions, with null where JSON turned a NaN into null. */
export type StoredMetrics = { [K in MetricKey]: number | null };

export interface EpochRecord {
  epoch: number;
  train: Record<string, number | null>;
  valid?: Record<string, number | null>;
  validMetrics?: StoredMetrics;
  improved?: boolean;
  lr?: number;
  seconds?: number;
  /** DAR: the decoupling probes after this epoch (validation split at the training rate). */
  probes?: DecouplingProbe;
}

export interface SeedTraining {
  seed: number;
  parameters?: number;
  bestEpoch?: number;
  bestValidLoss?: number | null;
  epochsRun?: number;
  stoppedEarly?: boolean;
  trainSeconds?: number;
  evalSeconds?: number;
  history: readonly EpochRecord[];
  /** DAR: the best epoch's decoupling probes on the test set, per missing rate. */
  probes?: readonly DecouplingProbe[];
}

/** results.json of `npm start` (src/app/cli/start.ts: robustnessJson(...) plus run, baselines and training). */
export interface RunResults {
  method: string;
  protocol: { rates: readonly number[]; seeds: readonly number[]; aggregation?: string; paperProtocol?: boolean };
  table1?: Record<string, number | null>;
  average: StoredMetrics;
  perRate: readonly {
    rate: number;
    mean: StoredMetrics;
    std?: StoredMetrics;
    perSeed?: readonly { seed: number; metrics: StoredMetrics }[];
  }[];
  run?: Record<string, unknown>;
  baselines?: { constant?: { value: number; metrics: StoredMetrics } };
  training?: readonly SeedTraining[];
  /** The inter-modality setting: whole modalities absent ("L", "A+V", ...), means over seeds. */
  modalityDrop?: readonly { absent: string; mean: StoredMetrics }[];
}

const val = (v: number | null | undefined): number => (typeof v === 'number' ? v : NaN);
const cell = (k: MetricKey, v: number | null | undefined) => formatMetric(k, val(v));

/** Seconds as a reader wants them: "42 s", "3 min 05 s", "1 h 02 min" (whole seconds). */
export function fmtSeconds(sec: number): string {
  const s = Math.round(sec);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** What Table 1's row averages, in words. */
export function protocolCaption(r: RunResults): string {
  const { rates, seeds } = r.protocol;
  const rateText =
    rates.length === 1
      ? `missing rate ${fmtRate(rates[0])}`
      : `${plural(rates.length, 'missing rate')} (${rates.map(fmtRate).join(', ')})`;
  const note = r.protocol.paperProtocol ? '' : " — not the papers' protocol of rates 0.0–0.9 × 3 seeds";
  return `mean over ${rateText} of the mean over ${plural(seeds.length, 'seed')} (${seeds.join(', ')})${note}`;
}

/** An HTML table; `numeric` columns are right-aligned. Cells are escaped. */
export function htmlTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  opts: { caption?: string; id?: string } = {},
): string {
  const th = header.map((h, i) => `<th${i ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const trs = rows.map(
    (r) =>
      `<tr>${r.map((c, i) => (i ? `<td class="num">${esc(c)}</td>` : `<th scope="row">${esc(c)}</th>`)).join('')}</tr>`,
  );
  return (
    `<table${opts.id ? ` id="${esc(opts.id)}"` : ''}>${opts.caption ? `<caption>${esc(opts.caption)}</caption>` : ''}` +
    `<thead><tr>${th}</tr></thead><tbody>${trs.join('')}</tbody></table>`
  );
}

/** Table 1: the method's row (and the constant predictor's, when the results have it). */
export function table1Html(r: RunResults): string {
  const rows = [[r.method, ...METRIC_KEYS.map((k) => cell(k, r.average[k]))]];
  const c = r.baselines?.constant;
  if (c) rows.push([`constant predictor (${c.value.toFixed(3)})`, ...METRIC_KEYS.map((k) => cell(k, c.metrics[k]))]);
  return htmlTable(['Method', ...METRIC_KEYS.map((k) => METRIC_LABELS[k])], rows, {
    caption: `Table 1: ${protocolCaption(r)}`,
    id: 'table1',
  });
}

/** One row per missing rate (mean over seeds, ± the sample std with several seeds), then the average. */
export function perRateHtml(r: RunResults): string {
  const several = r.protocol.seeds.length > 1;
  const rows = r.perRate.map((p) => [
    fmtRate(p.rate),
    ...METRIC_KEYS.map((k) => {
      const m = cell(k, p.mean[k]);
      const s = p.std?.[k];
      return several && typeof s === 'number' && Number.isFinite(s) ? `${m} ± ${formatMetric(k, s)}` : m;
    }),
  ]);
  rows.push(['avg', ...METRIC_KEYS.map((k) => cell(k, r.average[k]))]);
  const seeds = r.protocol.seeds;
  return htmlTable(['Rate', ...METRIC_KEYS.map((k) => METRIC_LABELS[k])], rows, {
    caption: `Per missing rate (mean over ${plural(seeds.length, 'seed')}: ${seeds.join(', ')})`,
    id: 'per-rate',
  });
}

/** One row per set of absent modalities (L text, A audio, V vision), means over seeds. */
export function modalityDropHtml(r: RunResults): string {
  const rows = (r.modalityDrop ?? []).map((d) => [d.absent, ...METRIC_KEYS.map((k) => cell(k, d.mean[k]))]);
  return htmlTable(['Absent', ...METRIC_KEYS.map((k) => METRIC_LABELS[k])], rows, {
    caption: `Whole modalities absent, the others complete (mean over ${plural(r.protocol.seeds.length, 'seed')})`,
    id: 'modality-drop',
  });
}

/** The robustness curves shown (Figure 4 style): Acc-2 (Has0 and Non0), Acc-7 and MAE against the missing rate. */
export const ROBUSTNESS_PANELS: readonly { id: string; title: string; keys: readonly MetricKey[] }[] = [
  { id: 'acc2', title: 'Acc-2 vs missing rate', keys: ['acc2Has0', 'acc2Non0'] },
  { id: 'acc7', title: 'Acc-7 vs missing rate', keys: ['acc7'] },
  { id: 'mae', title: 'MAE vs missing rate', keys: ['mae'] },
];

/** The robustness charts as SVG strings, one per panel. */
export function robustnessCharts(r: RunResults, size: { width?: number; height?: number } = {}): string[] {
  const rates = r.perRate.map((p) => p.rate);
  const lo = Math.min(0, ...rates);
  const hi = Math.max(...rates, lo + 0.1);
  return ROBUSTNESS_PANELS.map((panel) => {
    const pct = panel.keys[0] !== 'mae' && panel.keys[0] !== 'corr';
    const scale = (v: number | null) => (pct ? 100 * val(v) : val(v));
    const series: Series[] = panel.keys.map((k, i) => ({
      name: panel.keys.length > 1 ? `${r.method} ${METRIC_LABELS[k].replace(/^.*\((.*)\)$/, '$1')}` : r.method,
      points: r.perRate.map((p) => [p.rate, scale(p.mean[k])] as const),
      color: PALETTE[i],
      markers: true,
    }));
    const c = r.baselines?.constant;
    if (c) {
      series.push({
        name: 'constant',
        points: [
          [lo, scale(c.metrics[panel.keys[0]])],
          [hi, scale(c.metrics[panel.keys[0]])],
        ],
        color: '#999999',
        dashed: true,
        markers: false,
      });
    }
    return lineChart({
      id: `robustness-${panel.id}`,
      title: panel.title,
      xLabel: 'missing rate',
      yLabel: pct ? `${panel.keys.length > 1 ? 'Acc-2' : METRIC_LABELS[panel.keys[0]]} (%)` : 'MAE',
      series,
      xDomain: [lo, hi],
      xFormat: (v) => v.toFixed(1),
      ...size,
    });
  });
}

/** The loss terms of the histories, in first-seen order (`total` first). */
export function lossTerms(training: readonly SeedTraining[]): string[] {
  const names = new Set<string>();
  for (const t of training) for (const h of t.history) for (const k of Object.keys(h.train)) names.add(k);
  return [...names].sort((a, b) => (a === 'total' ? -1 : b === 'total' ? 1 : 0));
}

/** One chart per loss term: the epoch means of the training steps per seed, and the validation value where there is one. */
export function lossCharts(
  training: readonly SeedTraining[],
  size: { width?: number; height?: number } = {},
): string[] {
  return lossTerms(training).map((term) => {
    const series: Series[] = [];
    training.forEach((t, i) => {
      const color = PALETTE[i % PALETTE.length];
      const tag = training.length > 1 ? ` (seed ${t.seed})` : '';
      series.push({
        name: `train${tag}`,
        points: t.history.map((h) => [h.epoch, val(h.train[term])] as const),
        color,
        markers: true,
      });
      if (t.history.some((h) => h.valid && typeof h.valid[term] === 'number')) {
        series.push({
          name: `valid${tag}`,
          points: t.history.map((h) => [h.epoch, val(h.valid?.[term])] as const),
          color,
          dashed: true,
          markers: true,
        });
      }
    });
    const epochs = training.flatMap((t) => t.history.map((h) => h.epoch));
    const e1 = Math.max(1, ...epochs);
    return lineChart({
      id: `loss-${term}`,
      title: `loss: ${term}`,
      xLabel: 'epoch',
      integerX: true,
      series,
      xDomain: [Math.min(1, ...epochs), e1 > 1 ? e1 : 2],
      ...size,
    });
  });
}

function trainingTable(training: readonly SeedTraining[]): string {
  const f = (v: number | null | undefined, d: number) =>
    typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '–';
  const rows = training.map((t) => [
    String(t.seed),
    t.parameters !== undefined ? t.parameters.toLocaleString('en-US') : '–',
    t.bestEpoch !== undefined ? String(t.bestEpoch) : '–',
    f(t.bestValidLoss, 4),
    t.epochsRun !== undefined ? `${t.epochsRun}${t.stoppedEarly ? ' (early stop)' : ''}` : '–',
    f(t.trainSeconds, 0),
    f(t.evalSeconds, 0),
  ]);
  return htmlTable(
    ['Seed', 'Parameters', 'Best epoch', 'Best valid L_total', 'Epochs run', 'Train s', 'Eval s'],
    rows,
    { id: 'training' },
  );
}

const pct1 = (v: number) => `${(100 * v).toFixed(1)}%`;

/** Per seed and epoch: what the decoupling holds (src/app/eval/probes.ts). */
function probeEpochTable(training: readonly SeedTraining[]): string {
  const rows = training.flatMap((t) =>
    t.history.flatMap((h) => {
      const p = h.probes;
      if (!p) return [];
      const r2 = p.r2;
      const f2 = (v: number | null | undefined) => (v === undefined || v === null ? '–' : v.toFixed(2));
      return [
        [
          String(t.seed),
          String(h.epoch),
          `${pct1(p.retrieval.common32)} / ${pct1(p.retrieval.commonAll)}`,
          `${pct1(p.retrieval.specific32)} / ${pct1(p.retrieval.specificAll)}`,
          `${pct1(p.retrieval.chance32)} / ${pct1(1 / p.n)}`,
          p.mi.toFixed(2),
          `${f2(r2?.sharedFromCommon)} / ${f2(r2?.sharedFromSpecific)}`,
          `${f2(r2?.privateFromSpecific)} / ${f2(r2?.privateFromCommon)}`,
          `${f2(r2?.contentFromCommon)} / ${f2(r2?.contentFromSpecific)}`,
        ],
      ];
    }),
  );
  return htmlTable(
    [
      'Seed',
      'Epoch',
      'Retrieval com (batch / all)',
      'Retrieval spec',
      'Chance',
      'MI(com; spec) nats',
      'R² s ← com / spec',
      'R² z_m ← spec / com',
      'R² u ← com / spec',
    ],
    rows,
    { id: 'probes', caption: 'Validation split at the training missing rate, after each epoch' },
  );
}

/** Per test missing rate, means over seeds: the gates and whether reconstruction closes the gap to the complete input. */
function probeRateTable(training: readonly SeedTraining[]): string {
  const byRate = new Map<number, DecouplingProbe[]>();
  for (const t of training) for (const p of t.probes ?? []) byRate.set(p.rate, [...(byRate.get(p.rate) ?? []), p]);
  const avg = (ps: DecouplingProbe[], f: (p: DecouplingProbe) => number) =>
    ps.reduce((s, p) => s + f(p), 0) / ps.length;
  const rows = [...byRate].map(([rate, ps]) => [
    fmtRate(rate),
    [0, 1, 2].map((g) => avg(ps, (p) => p.gate[g]).toFixed(2)).join(' / '),
    [3, 4, 5].map((g) => avg(ps, (p) => p.gate[g]).toFixed(2)).join(' / '),
    avg(ps, (p) => p.recon.hat).toFixed(2),
    avg(ps, (p) => p.recon.tilde).toFixed(2),
    pct1(avg(ps, (p) => p.retrieval.common32)),
  ]);
  return htmlTable(
    ['Rate', 'Gate com l / v / a', 'Gate spec l / v / a', '‖Ĥ − H‖', '‖H̃ − H‖', 'Retrieval com (batch)'],
    rows,
    { id: 'probe-rates', caption: 'Best epochs on the test set, means over seeds' },
  );
}

function runList(run: Record<string, unknown>): string {
  const show = (v: unknown) =>
    v === null || v === undefined
      ? '–'
      : Array.isArray(v)
        ? v.join(', ')
        : typeof v === 'object'
          ? JSON.stringify(v)
          : String(v);
  return `<dl class="run">${Object.entries(run)
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(show(v))}</dd>`)
    .join('')}</dl>`;
}

/** The CSS of the report (also used by the demo page for its tables and charts). */
export const REPORT_CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1180px;padding:0 16px;color:#222}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#555;margin:0 0 12px}
table{border-collapse:collapse;margin:8px 0 16px;font-variant-numeric:tabular-nums}
caption{text-align:left;color:#555;padding-bottom:4px;caption-side:top}
th,td{padding:3px 9px;border-bottom:1px solid #e4e4e4;text-align:left;white-space:nowrap}
thead th{border-bottom:2px solid #bbb}.num{text-align:right}
.charts{display:flex;flex-wrap:wrap;gap:12px}.charts svg{background:#fff;border:1px solid #eee;border-radius:4px}
dl.run{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;font-size:13px}dl.run dt{color:#555}dl.run dd{margin:0;word-break:break-all}
`;

/** The whole report: a self-contained HTML document. */
export function htmlReport(results: RunResults): string {
  if (
    !results ||
    typeof results !== 'object' ||
    !Array.isArray(results.perRate) ||
    !results.perRate.length ||
    !results.protocol ||
    !results.average
  ) {
    throw new TypeError(
      'htmlReport: expected the results object of a run (method, protocol, average, perRate, ...), as in results.json',
    );
  }
  const r = results;
  const run = r.run ?? {};
  const training = r.training ?? [];
  const subtitle = [
    run.dataset !== undefined ? `dataset ${String(run.dataset)}` : null,
    run.model !== undefined ? `model ${String(run.model)}${run.preset ? ` (${String(run.preset)})` : ''}` : null,
    typeof run.epochs === 'number' ? plural(run.epochs, 'epoch') : null,
    plural(r.protocol.seeds.length, 'seed'),
    typeof run.wallSeconds === 'number' ? `wall time ${fmtSeconds(run.wallSeconds)}` : null,
    typeof run.runtime === 'string' ? `runtime ${run.runtime}` : null,
    typeof run.adapter === 'string' ? `adapter ${run.adapter}` : null,
  ]
    .filter(Boolean)
    .join(' · ');
  const sections = [
    `<h1>${esc(r.method)}: robustness to missing modalities</h1>`,
    `<p class="sub">${esc(subtitle)}</p>`,
    '<h2>Table 1</h2>',
    table1Html(r),
    '<h2>Robustness curves</h2>',
    `<div class="charts" id="robustness">${robustnessCharts(r).join('')}</div>`,
    perRateHtml(r),
  ];
  if (r.modalityDrop?.length) sections.push('<h2>Missing modalities</h2>', modalityDropHtml(r));
  if (training.length) {
    sections.push(
      '<h2>Loss curves</h2>',
      `<div class="charts" id="losses">${lossCharts(training).join('')}</div>`,
      trainingTable(training),
    );
  }
  if (training.some((t) => t.history.some((h) => h.probes)))
    sections.push('<h2>Decoupling probes</h2>', probeEpochTable(training));
  if (training.some((t) => t.probes?.length)) sections.push(probeRateTable(training));
  if (Object.keys(run).length) sections.push('<h2>Run</h2>', runList(run));
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${esc(r.method)} — webgrad report</title><style>${REPORT_CSS}</style></head>\n<body>\n${sections.join('\n')}\n</body></html>\n`
  );
}
