// The HTML report (src/app/report/html.ts) and its SVG charts (src/app/report/svg.ts): pure functions, checked in Node on a
// results object built the way `npm start` builds results.json.

import { describe, expect, it } from 'vitest';
import { METRIC_KEYS, type RegressionMetrics } from '../src/app/eval/metrics';
import { formatMetric, robustnessJson, summarizeRobustness } from '../src/app/eval/report';
import { htmlReport, lossTerms, type RunResults } from '../src/app/report/html';
import { downsample, esc, lineChart, niceTicks } from '../src/app/report/svg';
import { hostRuntime } from '../src/app/host';

const RATES = [0, 0.3, 0.6, 0.9];
const SEEDS = [1111, 1112];
const EPOCHS = 5;

/** Accuracy falls and MAE rises with the rate; seeds differ a little. Corr is NaN at the last rate. */
function metrics(rate: number, s: number): RegressionMetrics {
  return {
    acc7: 0.4 - 0.2 * rate + s * 0.01,
    acc5: 0.45 - 0.2 * rate,
    acc2Has0: 0.8 - 0.3 * rate + s * 0.02,
    acc2Non0: 0.82 - 0.3 * rate,
    f1Has0: 0.79 - 0.3 * rate,
    f1Non0: 0.81 - 0.3 * rate,
    mae: 0.7 + 0.5 * rate + s * 0.01,
    corr: rate === 0.9 ? NaN : 0.6 - 0.5 * rate,
  };
}

function results(method = 'DAR (small)'): RunResults & { training: NonNullable<RunResults['training']> } {
  const summary = summarizeRobustness(
    RATES.flatMap((rate) => SEEDS.map((seed, s) => ({ rate, seed, metrics: metrics(rate, s) }))),
  );
  const constant = { value: 0.12, metrics: { ...metrics(0.95, 0), corr: NaN } };
  return {
    ...robustnessJson(summary, method),
    run: {
      model: 'dar',
      preset: 'small',
      dataset: 'synthetic-mosi',
      seeds: SEEDS,
      epochs: EPOCHS,
      lr: 0.002,
      wallSeconds: 12.5,
    },
    baselines: { constant },
    training: SEEDS.map((seed, s) => ({
      seed,
      parameters: 123456,
      bestEpoch: 4,
      bestValidLoss: 1.5,
      epochsRun: EPOCHS,
      stoppedEarly: false,
      trainSeconds: 10,
      evalSeconds: 2,
      history: Array.from({ length: EPOCHS }, (_, e) => ({
        epoch: e + 1,
        train: { total: 3 - 0.4 * e + s * 0.1, task: 1.2 - 0.1 * e, club_ll: -100 + e },
        valid: { total: 3.2 - 0.3 * e, task: 1.3 - 0.1 * e },
      })),
    })),
  };
}

/** The <svg> elements of a document, as strings. */
const svgs = (html: string) => html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];

/** The chart with data-chart `id`. */
function chart(html: string, id: string): string {
  const s = svgs(html).find((x) => x.includes(`data-chart="${id}"`));
  if (!s) throw new Error(`no chart ${id}`);
  return s;
}

/** The series paths of a chart: name, point count, and the points in pixels. */
function paths(svg: string) {
  return [...svg.matchAll(/<path class="series" data-series="([^"]*)" data-points="(\d+)" d="([^"]*)"/g)].map((m) => ({
    name: m[1],
    n: Number(m[2]),
    pts: [...m[3].matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)].map((p) => [Number(p[1]), Number(p[2])]),
  }));
}

/** Checks that every element opened is closed in order (a well-formedness check of the markup we generate). */
function balanced(markup: string): boolean {
  const stack: string[] = [];
  const voids = new Set(['meta', 'br', 'hr', 'img', 'input', 'link']);
  for (const m of markup.replace(/<!doctype[^>]*>/i, '').matchAll(/<(\/?)([a-zA-Z][\w-]*)[^>]*?(\/?)>/g)) {
    const [, close, tag, self] = m;
    if (self || (!close && voids.has(tag.toLowerCase()))) continue;
    if (!close) stack.push(tag);
    else if (stack.pop() !== tag) return false;
  }
  return stack.length === 0;
}

/** Cells of the table with id `id`, row by row. */
function table(html: string, id: string): string[][] {
  const t = new RegExp(`<table id="${id}">([\\s\\S]*?)</table>`).exec(html);
  if (!t) throw new Error(`no table ${id}`);
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(t[1])![1];
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) =>
    [...r[1].matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1]),
  );
}

describe('htmlReport', () => {
  it('is one self-contained, well-formed document without scripts or external resources', () => {
    const html = htmlReport(results());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|src=|href=|@import|url\(/i);
    // The only URL is the SVG namespace.
    expect(html.match(/https?:\/\/[^"]*/g)!.every((u) => u === 'http://www.w3.org/2000/svg')).toBe(true);
    expect(balanced(html)).toBe(true);
    expect(htmlReport(results())).toBe(html); // pure
  });

  it("has Table 1's row and the constant predictor's, formatted as the text tables", () => {
    const r = results();
    const html = htmlReport(r);
    const rows = table(html, 'table1');
    expect(rows.length).toBe(2);
    expect(rows[0]).toEqual(['DAR (small)', ...METRIC_KEYS.map((k) => formatMetric(k, r.average[k]!))]);
    // Corr of the constant predictor is NaN in memory (null in the JSON file): "–" either way.
    expect(rows[1][0]).toBe('constant predictor (0.120)');
    expect(rows[1][8]).toBe('–');
    const fromJson = htmlReport(JSON.parse(JSON.stringify(r)));
    expect(table(fromJson, 'table1')).toEqual(rows);
    expect(html).toMatch(
      /mean over 4 missing rates \(0\.0, 0\.3, 0\.6, 0\.9\) of the mean over 2 seeds \(1111, 1112\)/,
    );
  });

  it('has the per-rate table: one row per rate with mean ± std over seeds, then the average', () => {
    const r = results();
    const rows = table(htmlReport(r), 'per-rate');
    expect(rows.map((x) => x[0])).toEqual(['0.0', '0.3', '0.6', '0.9', 'avg']);
    // Acc-2 (Has0) at rate 0.3: seeds 0.71 and 0.73 → mean 72.00, std 1.41 (×100).
    expect(rows[1][3]).toBe('72.00 ± 1.41');
    expect(rows[3][8]).toBe('–');
    expect(rows[4].slice(1)).toEqual(METRIC_KEYS.map((k) => formatMetric(k, r.average[k]!)));
  });

  it('has the missing-modality table when the run has one, and no such section otherwise', () => {
    const r = results();
    expect(htmlReport(r)).not.toContain('id="modality-drop"');
    const m = (mae: number) =>
      Object.fromEntries(METRIC_KEYS.map((k) => [k, k === 'mae' ? mae : 0.5])) as unknown as RegressionMetrics;
    const html = htmlReport({
      ...r,
      modalityDrop: [
        { absent: 'L', mean: m(0.91) },
        { absent: 'A+V', mean: m(0.734) },
      ],
    });
    const rows = table(html, 'modality-drop');
    expect(rows.map((x) => x[0])).toEqual(['L', 'A+V']);
    expect(rows[1][1 + METRIC_KEYS.indexOf('mae')]).toBe('0.734');
    expect(balanced(html)).toBe(true);
  });

  it('draws the robustness curves: Acc-2, Acc-7 and MAE at every rate, with the constant predictor', () => {
    const html = htmlReport(results());
    const acc2 = paths(chart(html, 'robustness-acc2'));
    expect(acc2.map((p) => p.name)).toEqual(['DAR (small) Has0', 'DAR (small) Non0', 'constant']);
    expect(acc2[0].n).toBe(RATES.length);
    // x grows with the rate; Acc-2 falls, so the curve goes down the page (SVG y grows downwards).
    const pts = acc2[0].pts;
    for (let i = 1; i < pts.length; i++) {
      expect(pts[i][0]).toBeGreaterThan(pts[i - 1][0]);
      expect(pts[i][1]).toBeGreaterThan(pts[i - 1][1]);
    }
    const mae = paths(chart(html, 'robustness-mae'));
    expect(mae[0].n).toBe(RATES.length);
    for (let i = 1; i < RATES.length; i++) expect(mae[0].pts[i][1]).toBeLessThan(mae[0].pts[i - 1][1]);
    expect(paths(chart(html, 'robustness-acc7'))[0].n).toBe(RATES.length);
  });

  it('draws one loss chart per term, per seed, with validation where there is one', () => {
    const r = results();
    const html = htmlReport(r);
    expect(lossTerms(r.training)).toEqual(['total', 'task', 'club_ll']);
    const total = paths(chart(html, 'loss-total'));
    expect(total.map((p) => p.name)).toEqual([
      'train (seed 1111)',
      'valid (seed 1111)',
      'train (seed 1112)',
      'valid (seed 1112)',
    ]);
    for (const p of total) expect(p.n).toBe(EPOCHS);
    // A term only logged in training (the CLUB estimator's) has no validation series.
    expect(paths(chart(html, 'loss-club_ll')).map((p) => p.name)).toEqual(['train (seed 1111)', 'train (seed 1112)']);
    // The training table.
    expect(table(html, 'training').map((row) => row.slice(0, 3))).toEqual([
      ['1111', '123,456', '4'],
      ['1112', '123,456', '4'],
    ]);
  });

  it('a one-epoch run: "1 epoch", train and valid told apart by their markers (filled, hollow), also in the legend', () => {
    const r = results();
    const one = {
      ...r,
      run: { ...r.run, epochs: 1 },
      training: r.training.map((t) => ({ ...t, epochsRun: 1, history: t.history.slice(0, 1) })),
    };
    const html = htmlReport(one);
    expect(html).toContain('1 epoch ·');
    expect(html).not.toContain('1 epochs');
    expect(htmlReport(r)).toContain(`${EPOCHS} epochs ·`);
    const svg = chart(html, 'loss-total');
    for (const p of paths(svg)) expect(p.n).toBe(1);
    const groups = [...svg.matchAll(/<g class="markers( hollow)?" ([^>]*)>/g)];
    expect(groups.map((g) => !!g[1])).toEqual([false, true, false, true]); // train, valid per seed
    expect(groups[0][2]).not.toContain('fill="#fff"');
    expect(groups[1][2]).toContain('fill="#fff"');
    // The legend shows the same two kinds of dot beside the names.
    const legendDots = [...svg.matchAll(/<circle cx="[^"]*" cy="[^"]*" r="2.6" ([^/]*)\/><text[^>]*>([^<]*)</g)].map(
      (m) => [m[2], m[1].includes('fill="#fff"')],
    );
    expect(legendDots).toEqual([
      ['train (seed 1111)', false],
      ['valid (seed 1111)', true],
      ['train (seed 1112)', false],
      ['valid (seed 1112)', true],
    ]);
  });

  it('records the adapter and the runtime, and rounds times', () => {
    const r = results();
    const html = htmlReport({
      ...r,
      run: {
        ...r.run,
        wallSeconds: 125.4567,
        runtime: 'browser',
        adapter: 'google / swiftshader [fallback adapter: CPU-emulated]',
      },
    });
    const sub = /<p class="sub">([^<]*)<\/p>/.exec(html)![1];
    expect(sub).toContain('wall time 2 min 05 s');
    expect(sub).toContain('runtime browser');
    expect(sub).toContain('adapter google / swiftshader [fallback adapter: CPU-emulated]');
    expect(html).not.toContain('125.4567 s');
    expect(htmlReport({ ...r, run: { ...r.run, wallSeconds: 12.5 } })).toContain('wall time 13 s');
    // The runtime is asked where the trainer runs: this test runs in Node (the start page, in the browser, says 'browser').
    expect(hostRuntime()).toBe('node');
    // Train and eval seconds in the training table: whole seconds.
    const withFractions = { ...r, training: r.training.map((t) => ({ ...t, trainSeconds: 10.46, evalSeconds: 2.51 })) };
    expect(table(htmlReport(withFractions), 'training')[0].slice(5)).toEqual(['10', '3']);
  });

  it('escapes what it prints and refuses what is not a results object', () => {
    const html = htmlReport(results('<b>DAR</b> & "co"'));
    expect(html).not.toContain('<b>DAR</b>');
    expect(html).toContain('&lt;b&gt;DAR&lt;/b&gt; &amp; &quot;co&quot;');
    expect(balanced(html)).toBe(true);
    expect(() => htmlReport({} as RunResults)).toThrow(/htmlReport: expected the results object/);
    // Without training histories or run info the report still has the tables and the robustness curves.
    const { training: _t, run: _r, ...bare } = results();
    const b = htmlReport(bare);
    expect(svgs(b).length).toBe(3);
    expect(b).not.toContain('Loss curves');
  });
});

describe('svg charts', () => {
  it('niceTicks covers the range with round steps', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.13, 0.87, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(-121, -114, 5)).toEqual([-122, -120, -118, -116, -114]);
    expect(niceTicks(-0.0095, 0.0021, 5)).toEqual([-0.01, -0.0075, -0.005, -0.0025, 0, 0.0025]);
    expect(niceTicks(1, 3, 6)).toEqual([1, 1.5, 2, 2.5, 3]);
    expect(niceTicks(1, 3, 6, 1)).toEqual([1, 2, 3]); // whole steps / epochs
    const flat = niceTicks(2, 2);
    expect(flat[0]).toBeLessThan(2);
    expect(flat[flat.length - 1]).toBeGreaterThan(2);
  });

  it('downsample keeps the ends and averages runs', () => {
    const pts = Array.from({ length: 1001 }, (_, i) => [i, i % 2] as [number, number]);
    const d = downsample(pts, 102);
    expect(d.length).toBe(102);
    expect(d[0]).toEqual([0, 0]);
    expect(d[101]).toEqual([1000, 0]);
    // Buckets of 9 or 10 alternating 0/1 values average to 4/9, 1/2 or 5/9; x stays increasing.
    for (const [, y] of d.slice(1, -1)) expect(Math.abs(y - 0.5)).toBeLessThanOrEqual(1 / 18 + 1e-12);
    for (let i = 1; i < d.length; i++) expect(d[i][0]).toBeGreaterThan(d[i - 1][0]);
  });

  it('breaks lines at non-finite points and escapes names', () => {
    const svg = lineChart({
      title: 'a<b',
      xLabel: 'x',
      series: [
        {
          name: 'n"1',
          points: [
            [0, 1],
            [1, NaN],
            [2, 3],
            [3, 4],
          ],
        },
      ],
    });
    const [p] = paths(svg);
    expect(p.n).toBe(3);
    expect((svg.match(/ d="([^"]*)"/)![1].match(/M/g) ?? []).length).toBe(2);
    expect(svg).toContain(esc('a<b'));
    expect(svg).toContain('data-series="n&quot;1"');
    expect(balanced(svg)).toBe(true);
  });
});

describe('htmlReport: DAR decoupling probes', () => {
  const probe = (rate: number, common32: number) => ({
    rate,
    n: 229,
    retrieval: { common32, commonAll: common32 / 4, specific32: 0.031, specificAll: 0.004, chance32: 1 / 32 },
    mi: 0.42,
    r2: {
      sharedFromCommon: 0.61,
      sharedFromSpecific: 0.12,
      privateFromCommon: 0.05,
      privateFromSpecific: 0.47,
      contentFromCommon: 0.73,
      contentFromSpecific: 0.08,
    },
    gate: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
    recon: { hat: 1.25, tilde: 2.5 + rate },
  });

  it('shows the per-epoch probes and the per-rate gates and reconstruction errors only when the run has them', () => {
    const plain = htmlReport(results());
    expect(plain).not.toContain('Decoupling probes');
    const r = results();
    const training = r.training.map((t, s) => ({
      ...t,
      history: t.history.map((h) => ({ ...h, probes: probe(0.3, 0.1 + 0.01 * h.epoch) })),
      probes: [0, 0.9].map((rate) => probe(rate, 0.2 + s * 0.1)),
    }));
    const html = htmlReport({ ...r, training });
    expect(html).toContain('<h2>Decoupling probes</h2>');
    // Seed 1111's last epoch: 15.0% within a batch, 3.8% over all 229 samples.
    expect(html).toContain('15.0% / 3.8%');
    expect(html).toContain('0.61 / 0.12');
    expect(html).toContain('R² u ← com / spec');
    expect(html).toContain('0.73 / 0.08');
    // Per rate, means over the two seeds: retrieval (20% and 30%) → 25.0%; ‖H̃ − H‖ at 0.9 is 3.40.
    const rates = html.slice(html.indexOf('id="probe-rates"'));
    expect(rates).toContain('0.10 / 0.20 / 0.30');
    expect(rates).toContain('3.40');
    expect(rates).toContain('25.0%');
  });
});
