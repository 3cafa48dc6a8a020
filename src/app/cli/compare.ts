// `node dist/compare.mjs <run> <run> ...`: the quality floor from the results.json of separate `npm start`
// runs. Each argument is an output directory (or its results.json); roles are read from the runs themselves:
//   DAR        model dar with a training missing rate k > 0 (the paper's k = 0.3 on MOSI)
//   late fusion model latefusion
//   DAR k = 0  model dar trained on complete data
//   constant   the mean training label, stored in every run (the same at every missing rate)
// It prints MAE, Acc-2 (Has0) and Corr per missing rate for each, and checks:
//   1. DAR beats the constant predictor by a clear margin at every rate ≥ 0.3,
//   2. DAR beats late fusion by a clear margin at every rate ≥ 0.3,
//   3. DAR trained with k = 0.3 beats DAR trained with k = 0 at every rate ≥ 0.5.
// "Beats by a clear margin" is judged on MAE (the quantity the models regress): lower by at least
// max(0.02, 2·SE), SE the standard error of the difference of the two seed means, so a gap inside the seed-to-seed
// noise does not count. When both runs trained the same seeds, the seeds are matched pairs (the same initial weights,
// batch order and evaluation masks, only the model or k differs) and SE is the paired one, sd(per-seed difference)/√n;
// otherwise it comes from the two per-run standard deviations. Exit code 0 when every check that the given runs allow
// passes.

import fs from 'node:fs';
import path from 'node:path';
import { fmtRate, textTable } from '../eval/report';
import { findModelSpec, MODEL_NAMES, type ModelName } from '../models/catalog';
import { isMainModule } from '../node/main-module';

interface RunJson {
  method: string;
  protocol: { rates: number[]; seeds: number[] };
  perRate: {
    rate: number;
    mean: Record<string, number | null>;
    std: Record<string, number | null>;
    perSeed?: { seed: number; metrics: Record<string, number | null> }[];
  }[];
  run: { model: string; trainMissingRate: number; dataset: string; testSamples: number; epochs: number };
  baselines?: { constant?: { value: number; metrics: Record<string, number | null> } };
  modalityDrop?: { absent: string; mean: Record<string, number | null> }[];
}

export interface Run {
  file: string;
  json: RunJson;
}

export const MIN_MAE_MARGIN = 0.02;

function load(arg: string): Run {
  const file = fs.existsSync(arg) && fs.statSync(arg).isDirectory() ? path.join(arg, 'results.json') : arg;
  if (!fs.existsSync(file)) throw new Error(`${arg}: no results.json there (run npm start -- --out ${arg} first)`);
  let json: RunJson;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!json.perRate || !json.run) throw new Error(`${file}: not a results.json of npm start`);
  return { file, json };
}

const num = (x: number | null | undefined) => (x === null || x === undefined ? NaN : x);
const rateKey = (r: number) => Math.round(r * 1e6);

/** One run's value of a metric at one rate: mean and std over seeds, and each seed's value when stored. */
export interface SeedStats {
  mean: number;
  std: number;
  n: number;
  perSeed?: Map<number, number>;
}

/** Per rate: mean and std of MAE (and the other printed metrics) of a run. */
function at(run: Run, rate: number, key: string): SeedStats {
  const p = run.json.perRate.find((x) => rateKey(x.rate) === rateKey(rate));
  if (!p) return { mean: NaN, std: NaN, n: 0 };
  const perSeed = p.perSeed ? new Map(p.perSeed.map((s) => [s.seed, num(s.metrics[key])])) : undefined;
  return { mean: num(p.mean[key]), std: num(p.std[key]), n: run.json.protocol.seeds.length, perSeed };
}

export interface Check {
  name: string;
  rates: number[];
  rows: {
    rate: number;
    better: number;
    worse: number;
    margin: number;
    needed: number;
    paired: boolean;
    pass: boolean;
  }[];
  pass: boolean;
}

/**
 * The standard error of mean(y) − mean(x): paired over the seeds when both have the same seeds (≥ 2) with a value
 * each, else from the two standard deviations (a constant has std 0).
 */
export function differenceSE(x: SeedStats, y: SeedStats): { se: number; paired: boolean } {
  const seeds =
    x.perSeed &&
    y.perSeed &&
    x.perSeed.size === y.perSeed.size &&
    x.perSeed.size > 1 &&
    [...x.perSeed.keys()].every((s) => y.perSeed!.has(s))
      ? [...x.perSeed.keys()]
      : null;
  if (seeds) {
    const d = seeds.map((s) => y.perSeed!.get(s)! - x.perSeed!.get(s)!);
    if (d.every(Number.isFinite)) {
      const m = d.reduce((a, b) => a + b, 0) / d.length;
      const sd = Math.sqrt(d.reduce((a, b) => a + (b - m) ** 2, 0) / (d.length - 1));
      return { se: sd / Math.sqrt(d.length), paired: true };
    }
  }
  const part = (v: SeedStats) => (Number.isFinite(v.std) && v.n > 1 ? v.std ** 2 / v.n : 0);
  return { se: Math.sqrt(part(x) + part(y)), paired: false };
}

/** `a` beats `b` on MAE at each rate ≥ minRate by max(MIN_MAE_MARGIN, 2·SE). `b` may be a constant (std 0). */
export function maeCheck(
  name: string,
  rates: number[],
  a: (r: number) => SeedStats,
  b: (r: number) => SeedStats,
  minRate: number,
): Check {
  const rows = rates
    .filter((r) => r >= minRate - 1e-9)
    .map((rate) => {
      const x = a(rate);
      const y = b(rate);
      const { se, paired } = differenceSE(x, y);
      const needed = Math.max(MIN_MAE_MARGIN, 2 * se);
      const margin = y.mean - x.mean;
      return { rate, better: x.mean, worse: y.mean, margin, needed, paired, pass: margin >= needed };
    });
  return { name, rates: rows.map((r) => r.rate), rows, pass: rows.length > 0 && rows.every((r) => r.pass) };
}

/** The runs in each role, found through the model catalog (so a model's old checkpoint spelling counts too). */
export function roles(runs: Run[]): { dar: Run | null; lf: Run | null; dar0: Run | null; derl: Run | null } {
  const model = (r: Run): ModelName => {
    const spec = findModelSpec(r.json.run.model);
    if (!spec)
      throw new Error(`${r.file}: model ${JSON.stringify(r.json.run.model)} is none of ${MODEL_NAMES.join(', ')}`);
    return spec.name;
  };
  const pick = (what: string, keep: (r: Run) => boolean): Run | null => {
    const list = runs.filter(keep);
    if (list.length > 1) throw new Error(`more than one ${what} run given: ${list.map((r) => r.file).join(', ')}`);
    return list[0] ?? null;
  };
  return {
    dar: pick('DAR (k > 0)', (r) => model(r) === 'dar' && r.json.run.trainMissingRate > 0),
    lf: pick('late fusion', (r) => model(r) === 'latefusion'),
    dar0: pick('DAR (k = 0)', (r) => model(r) === 'dar' && r.json.run.trainMissingRate === 0),
    derl: pick('DERL', (r) => model(r) === 'derl'),
  };
}

function main(argv: string[]): number {
  if (!argv.length || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`Usage: node dist/compare.mjs <run dir or results.json> ...

Compares npm start runs (DAR at k > 0, late fusion, DAR at k = 0; any subset) with the constant predictor at every
missing rate, and checks that DAR beats the constant predictor and late fusion at every rate >= 0.3, and that DAR
at k = 0.3 beats DAR at k = 0 at every rate >= 0.5, each on MAE by at least max(${MIN_MAE_MARGIN}, 2 SE);
the SE is paired by seed when both runs trained the same seeds.
`);
    return argv.length ? 0 : 2;
  }
  const runs = argv.map(load);
  const { dar, lf, dar0, derl } = roles(runs);
  const main = dar;
  if (!main) throw new Error('no DAR run with a training missing rate k > 0 among the arguments');
  const datasets = new Set(runs.map((r) => `${r.json.run.dataset}/${r.json.run.testSamples}`));
  if (datasets.size > 1)
    console.log(`warning: the runs differ in dataset or test samples: ${[...datasets].join(', ')}`);
  const rates = main.json.perRate.map((p) => p.rate);
  const constant = main.json.baselines?.constant;
  const columns: { label: string; get: (rate: number, key: string) => SeedStats }[] = [
    { label: `DAR k=${main.json.run.trainMissingRate}`, get: (r, k) => at(main, r, k) },
  ];
  if (lf) columns.push({ label: `late fusion k=${lf.json.run.trainMissingRate}`, get: (r, k) => at(lf, r, k) });
  if (dar0) columns.push({ label: 'DAR k=0', get: (r, k) => at(dar0, r, k) });
  if (derl) columns.push({ label: `DERL k=${derl.json.run.trainMissingRate}`, get: (r, k) => at(derl, r, k) });
  if (constant) columns.push({ label: 'constant', get: (_r, k) => ({ mean: num(constant.metrics[k]), std: 0, n: 1 }) });

  for (const r of runs)
    console.log(
      `${r.json.method}: ${r.file} (${r.json.run.model}, k = ${r.json.run.trainMissingRate}, ${r.json.run.epochs} epochs, seeds ${r.json.protocol.seeds.join(', ')})`,
    );
  const metrics: [string, string, (x: number) => string][] = [
    ['mae', 'MAE (lower is better), mean ± std over seeds', (x) => x.toFixed(3)],
    ['acc2Has0', 'Acc-2 (Has0) ×100', (x) => (100 * x).toFixed(2)],
    ['corr', 'Corr', (x) => (Number.isNaN(x) ? 'nan' : x.toFixed(3))],
  ];
  for (const [key, title, f] of metrics) {
    const rows = rates.map((rate) => [
      fmtRate(rate),
      ...columns.map((c) => {
        const v = c.get(rate, key);
        return key === 'mae' && v.n > 1 && Number.isFinite(v.std) ? `${f(v.mean)} ± ${f(v.std)}` : f(v.mean);
      }),
    ]);
    const avg = ['avg', ...columns.map((c) => f(rates.reduce((s, r) => s + c.get(r, key).mean, 0) / rates.length))];
    console.log(`\n${title}:\n${textTable(['Rate', ...columns.map((c) => c.label)], [...rows, avg])}`);
  }

  // The inter-modality setting, for every run that has it.
  const withDrop = runs.filter((r) => r.json.modalityDrop?.length);
  if (withDrop.length) {
    const conditions = withDrop[0].json.modalityDrop!.map((d) => d.absent);
    const label = (r: Run) => `${r.json.method}${r === dar0 ? ' k=0' : ''}`;
    for (const [key, title, f] of metrics) {
      const rows = conditions.map((c) => [
        c,
        ...withDrop.map((r) => {
          const d = r.json.modalityDrop!.find((x) => x.absent === c);
          return d ? f(num(d.mean[key])) : '–';
        }),
      ]);
      console.log(
        `\nWhole modalities absent, ${title.replace(', mean ± std over seeds', '')}:\n${textTable(['Absent', ...withDrop.map(label)], rows)}`,
      );
    }
  }

  const checks: Check[] = [];
  if (constant)
    checks.push(
      maeCheck(
        'DAR beats the constant predictor at rates >= 0.3',
        rates,
        (r) => at(main, r, 'mae'),
        () => ({ mean: num(constant.metrics.mae), std: 0, n: 1 }),
        0.3,
      ),
    );
  if (lf)
    checks.push(
      maeCheck(
        'DAR beats late fusion at rates >= 0.3',
        rates,
        (r) => at(main, r, 'mae'),
        (r) => at(lf, r, 'mae'),
        0.3,
      ),
    );
  if (dar0) {
    checks.push(
      maeCheck(
        `DAR k=${main.json.run.trainMissingRate} beats DAR k=0 at rates >= 0.5`,
        rates,
        (r) => at(main, r, 'mae'),
        (r) => at(dar0, r, 'mae'),
        0.5,
      ),
    );
  }
  console.log(`\nQuality floor (MAE lower by at least max(${MIN_MAE_MARGIN}, 2·SE of the difference)):`);
  for (const c of checks) {
    console.log(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name}`);
    for (const r of c.rows) {
      const se = r.paired ? ', SE paired by seed' : '';
      console.log(
        `        rate ${fmtRate(r.rate)}: ${r.better.toFixed(3)} vs ${r.worse.toFixed(3)}, margin ${r.margin.toFixed(3)} (needed ${r.needed.toFixed(3)}${se})${r.pass ? '' : '  ← not clear'}`,
      );
    }
  }
  const missing = [!lf && 'late fusion', !dar0 && 'DAR k=0', !constant && 'constant'].filter(Boolean);
  if (missing.length) console.log(`  (not checked, no run given: ${missing.join(', ')})`);
  return checks.every((c) => c.pass) ? 0 : 1;
}

if (isMainModule(import.meta.url)) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    process.exit(2);
  }
}
