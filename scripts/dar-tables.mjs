#!/usr/bin/env node
// The DAR paper's Table 2 (ablations) and Table 3 (training missing rate k) on our data, in one command:
//
//   node build.mjs && node scripts/dar-tables.mjs [--out runs/tables] [--seeds 1111,1112,1113] [--epochs n]
//        [--train-subset n] [--runtime node|browser] [--ks 0,0.1,0.3,0.5,0.8] [--only full,noSim,k0]
//        [-- extra npm-start options]
//
// Each cell is one `npm start` run (dist/start.mjs, 3 seeds, evaluated at the ten missing rates 0.0-0.9) written to
// <out>/<variant>/results.json; a run whose results.json exists is not run again, so the command resumes. Then the
// metrics are averaged over the missing rates per seed, and each variant is compared with the full model seed by seed:
// mean ± the seed-paired standard error of (variant − full), sd(differences)/√seeds. Writes <out>/tables.json and
// <out>/tables.md (the paper's numbers beside ours); --report-only writes them from the runs finished so far. --only
// runs just the named cells (so that several processes can share one --out, each with its own cells); --start runs
// another build's start.mjs (e.g. a copy of dist/, so that rebuilding dist/ meanwhile does not change the runs). Table 3's k = 0.3 is Table 2's full model (our default k).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: a, positionals } = parseArgs({
  options: {
    out: { type: 'string', default: 'runs/tables' },
    seeds: { type: 'string', default: '1111,1112,1113' },
    epochs: { type: 'string' },
    'train-subset': { type: 'string' },
    runtime: { type: 'string', default: 'node' },
    ks: { type: 'string', default: '0,0.1,0.3,0.5,0.8' },
    'dry-run': { type: 'boolean', default: false },
    'report-only': { type: 'boolean', default: false },
    only: { type: 'string' },
    start: { type: 'string', default: 'dist/start.mjs' },
  },
  allowPositionals: true,
});

const DEFAULT_K = 0.3;
const ABLATIONS = ['full', 'noSim', 'noDiff', 'noSimDiff', 'noRecon', 'noBoot'];
const LABEL = {
  full: 'Ours (full)',
  noSim: 'w/o L_sim',
  noDiff: 'w/o L_diff',
  noSimDiff: 'w/o L_sim & L_diff',
  noRecon: 'w/o L_recon',
  noBoot: 'w/o L_boot',
};
// The paper's MOSI numbers (Tables 2 and 3): Acc-7, Acc-5, Acc-2 (two forms), F1 (two forms), MAE, Corr.
const PAPER2 = {
  noSim: [34.14, 38.42, '71.50 / 72.71', '71.30 / 72.62', 1.084, 0.505],
  noDiff: [34.28, 38.27, '71.54 / 72.85', '71.48 / 72.62', 1.089, 0.507],
  noSimDiff: [34.15, 38.35, '71.32 / 72.46', '71.10 / 72.35', 1.113, 0.504],
  noRecon: [33.57, 38.31, '71.02 / 72.20', '70.45 / 71.13', 1.123, 0.493],
  noBoot: [33.03, 36.93, '70.50 / 72.26', '69.90 / 71.80', 1.123, 0.475],
  full: [34.47, 38.65, '71.60 / 73.18', '71.51 / 73.15', 1.069, 0.52],
};
const PAPER3 = {
  0: [31.84, 35.45, '68.99 / 71.03', '66.39 / 63.10', 1.069, 0.514],
  0.2: [33.18, 37.88, '70.57 / 71.06', '70.57 / 70.56', 1.16, 0.502],
  0.4: [32.95, 36.39, '71.22 / 72.73', '70.98 / 72.62', 1.078, 0.515],
  0.6: [30.12, 32.58, '70.63 / 71.99', '70.27 / 71.75', 1.118, 0.475],
  0.8: [24.56, 24.64, '69.16 / 70.96', '67.50 / 69.51', 1.173, 0.46],
};
const KEYS = ['acc7', 'acc5', 'acc2Has0', 'acc2Non0', 'f1Has0', 'f1Non0', 'mae', 'corr'];

const ks = a.ks.split(',').map(Number);
const common = ['--seeds', a.seeds, '--runtime', a.runtime];
if (a.epochs) common.push('--epochs', a.epochs);
if (a['train-subset']) common.push('--train-subset', a['train-subset']);
common.push(...positionals);

/** The runs: [name, extra options]. */
const runs = [
  ...ABLATIONS.map((ab) => [ab, ['--ablation', ab]]),
  ...ks.filter((k) => k !== DEFAULT_K).map((k) => [`k${k}`, ['--train-missing-rate', String(k)]]),
];

const only = a.only ? new Set(a.only.split(',')) : null;
for (const [name, extra] of a['report-only'] ? [] : runs) {
  if (only && !only.has(name)) continue;
  const dir = path.join(a.out, name);
  if (fs.existsSync(path.join(dir, 'results.json'))) continue;
  const args = [a.start, '--out', dir, ...common, ...extra];
  console.log(`[${new Date().toISOString()}] ${name}: node ${args.join(' ')}`);
  if (a['dry-run']) continue;
  fs.mkdirSync(dir, { recursive: true });
  const log = fs.openSync(path.join(a.out, `${name}.log`), 'w'); // the run's progress and probes lines
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', log, 'inherit'] });
  fs.closeSync(log);
  if (r.status !== 0) console.log(`${name}: exit ${r.status}; its cell stays empty`);
}

/** Per seed, each metric averaged over the missing rates: Map seed → { key: value }. */
function perSeedAverages(name) {
  const file = path.join(a.out, name, 'results.json');
  if (!fs.existsSync(file)) return null;
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  const out = new Map();
  for (const p of r.perRate)
    for (const { seed, metrics } of p.perSeed ?? []) {
      const acc = out.get(seed) ?? Object.fromEntries(KEYS.map((k) => [k, 0]));
      for (const k of KEYS) acc[k] += metrics[k] / r.perRate.length;
      out.set(seed, acc);
    }
  return out;
}

const full = perSeedAverages('full');
/** Mean over seeds, and the seed-paired SE of (this − full) over the seeds both have. */
function cell(name) {
  const m = perSeedAverages(name);
  if (!m) return null;
  const seeds = [...m.keys()];
  const mean = Object.fromEntries(KEYS.map((k) => [k, seeds.reduce((s, x) => s + m.get(x)[k], 0) / seeds.length]));
  const paired = full ? seeds.filter((s) => full.has(s)) : [];
  const diff = {};
  const se = {};
  for (const k of KEYS) {
    const d = paired.map((s) => m.get(s)[k] - full.get(s)[k]);
    const mu = d.reduce((x, y) => x + y, 0) / Math.max(1, d.length);
    diff[k] = d.length ? mu : null;
    se[k] = d.length > 1 ? Math.sqrt(d.reduce((x, y) => x + (y - mu) ** 2, 0) / (d.length - 1) / d.length) : null;
  }
  return { seeds, mean, diffFromFull: diff, pairedSE: se, probes: probeMeans(name) };
}

/** The decoupling probes of the best epochs on the test set at k = 0.3 (src/app/eval/probes.ts), means over seeds. */
function probeMeans(name) {
  const r = JSON.parse(fs.readFileSync(path.join(a.out, name, 'results.json'), 'utf8'));
  const ps = (r.training ?? []).map((t) => t.probes?.find((p) => p.rate === DEFAULT_K)).filter(Boolean);
  if (!ps.length) return null;
  const avg = (f) => ps.reduce((s, p) => s + f(p), 0) / ps.length;
  return {
    retrievalCommon32: avg((p) => p.retrieval.common32),
    retrievalCommonAll: avg((p) => p.retrieval.commonAll),
    n: ps[0].n,
    retrievalSpecific32: avg((p) => p.retrieval.specific32),
    mi: avg((p) => p.mi),
    r2SharedFromCommon: avg((p) => p.r2?.sharedFromCommon ?? NaN),
    r2PrivateFromSpecific: avg((p) => p.r2?.privateFromSpecific ?? NaN),
    r2ContentFromCommon: avg((p) => p.r2?.contentFromCommon ?? NaN),
    r2ContentFromSpecific: avg((p) => p.r2?.contentFromSpecific ?? NaN),
  };
}

const table2 = Object.fromEntries(ABLATIONS.map((n) => [n, cell(n)]));
const table3 = Object.fromEntries(ks.map((k) => [String(k), cell(k === DEFAULT_K ? 'full' : `k${k}`)]));
const complete = [...Object.values(table2), ...Object.values(table3)].every(
  (c) => c && c.seeds.length === a.seeds.split(',').length,
);
const json = {
  complete,
  options: {
    seeds: a.seeds,
    epochs: a.epochs ?? 'default',
    trainSubset: a['train-subset'] ?? 'all',
    runtime: a.runtime,
    extra: positionals,
  },
  table2,
  table3,
};
fs.mkdirSync(a.out, { recursive: true });
fs.writeFileSync(path.join(a.out, 'tables.json'), `${JSON.stringify(json, null, 2)}\n`);

const pct = (v) => (100 * v).toFixed(2);
const sgn = (v, f) => (v === null ? '' : `${v >= 0 ? '+' : '−'}${f(Math.abs(v))}`);
function row(label, c, paper) {
  const p = paper ? `${paper[0]} · ${paper[1]} · ${paper[2]} · ${paper[4].toFixed(3)} · ${paper[5].toFixed(3)}` : '–';
  if (!c) return `| ${label} | (not run) | | | | | | ${p} |`;
  const m = c.mean;
  const d = (k, f) =>
    c === table2.full ? '' : ` (${sgn(c.diffFromFull[k], f)} ± ${c.pairedSE[k] === null ? '?' : f(c.pairedSE[k])})`;
  const p100 = (v) => (100 * v).toFixed(2);
  const p3 = (v) => v.toFixed(3);
  return (
    `| ${label} | ${pct(m.acc7)}${d('acc7', p100)} | ${pct(m.acc5)}${d('acc5', p100)} | ${pct(m.acc2Has0)} / ${pct(m.acc2Non0)}${d('acc2Non0', p100)} | ` +
    `${pct(m.f1Has0)} / ${pct(m.f1Non0)} | ${m.mae.toFixed(3)}${d('mae', p3)} | ${m.corr.toFixed(3)}${d('corr', p3)} | ${c.seeds.length} | ${p} |`
  );
}
const head =
  '| | Acc-7 | Acc-5 | Acc-2 Has0 / Non0 | F1 Has0 / Non0 | MAE | Corr | seeds | paper (MOSI): Acc-7 · Acc-5 · Acc-2 · MAE · Corr |\n|---|---|---|---|---|---|---|---|---|';
const md = [
  `# DAR's Tables 2 and 3 on ${'synthetic-mosi'}${complete ? '' : ' — PARTIAL (some cells missing or with fewer seeds)'}`,
  '',
  `Made by \`node scripts/dar-tables.mjs ${process.argv.slice(2).join(' ')}\`. Each cell: mean over seeds of the metric averaged over the ten test missing rates 0.0–0.9; in brackets the difference from the full model and its seed-paired standard error.`,
  '',
  '## Table 2 (ablations, k = 0.3)',
  '',
  head,
  ...ABLATIONS.map((n) => row(LABEL[n], table2[n], PAPER2[n])),
  '',
  '### What the decoupling holds (best epochs, test set at rate 0.3, means over seeds)',
  '',
  '| | retrieval com, batch 32 (chance 3.1%) / all | retrieval spec | held-out MI(com; spec), nats | R² s ← com | R² z_m ← spec | R² u ← com / spec |',
  '|---|---|---|---|---|---|---|',
  ...ABLATIONS.map((n) => {
    const p = table2[n]?.probes;
    if (!p) return `| ${LABEL[n]} | – | – | – | – | – | – |`;
    const f2 = (v) => (Number.isFinite(v) ? v.toFixed(2) : '–');
    return `| ${LABEL[n]} | ${pct(p.retrievalCommon32)}% / ${p.retrievalCommonAll === undefined ? '–' : `${pct(p.retrievalCommonAll)}% (chance ${pct(1 / p.n)}%)`} | ${pct(p.retrievalSpecific32)}% | ${p.mi.toFixed(2)} | ${f2(p.r2SharedFromCommon)} | ${f2(p.r2PrivateFromSpecific)} | ${f2(p.r2ContentFromCommon)} / ${f2(p.r2ContentFromSpecific)} |`;
  }),
  '',
  '## Table 3 (training missing rate k)',
  '',
  head,
  ...ks.map((k) => row(`k = ${k}`, table3[String(k)], PAPER3[k])),
  '',
].join('\n');
fs.writeFileSync(path.join(a.out, 'tables.md'), md);
console.log(md);
