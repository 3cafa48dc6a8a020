// `npm start`'s results: the tables printed at the end of a run, and results.json and report.html in the output
// directory.

import path from 'node:path';
import type { DecouplingProbe } from '../eval/probes';
import { writeFileAtomic } from '../io/atomic';
import { LNLN_EVAL_SEED } from '../data/missing';
import {
  fmtRate,
  formatConditionTable,
  formatRobustnessReport,
  robustnessJson,
  summarizeConditions,
  summarizeRobustness,
  textTable,
  type RobustnessRecord,
} from '../eval/report';
import type { DerlExpertUsage } from '../models/derl/model';
import { modelSpec, type RunChoices } from '../models/catalog';
import { htmlReport } from '../report/html';
import type { SeedPhases, StartPageResult } from './start-page';
import type { StartOptions } from './start-options';
import { ckptName } from './start-resume';
import { fmtDuration } from './start-progress';

/** DERL's routers: per modality, the mean gate of each shared and private expert (mean over seeds) at each rate. */
export function formatExpertUsage(rows: readonly { seed: number; rate: number; usage: DerlExpertUsage }[]): string {
  const rates = [...new Set(rows.map((r) => r.rate))];
  const seeds = new Set(rows.map((r) => r.seed)).size;
  const f = (x: number) => x.toFixed(2);
  const mean = (xs: number[][]) => xs[0].map((_, i) => xs.reduce((s, x) => s + x[i], 0) / xs.length);
  const table: string[][] = [];
  for (const rate of rates) {
    const at = rows.filter((r) => r.rate === rate).map((r) => r.usage);
    for (const [k, m] of at[0].modalities.entries()) {
      const shared = mean(at.map((u) => u.modalities[k].shared));
      const priv = mean(at.map((u) => u.modalities[k].private));
      const sampleMax = at.reduce((s, u) => s + u.modalities[k].sharedSampleMax, 0) / at.length;
      table.push([
        fmtRate(rate),
        m.modality,
        shared.map(f).join(' '),
        priv.map(f).join(' '),
        f(Math.max(...shared)),
        f(sampleMax),
      ]);
    }
    const pooled = mean(at.map((u) => u.pooledShared));
    const imp = Object.keys(at[0].importance).map(
      (key) => `${key} ${f(at.reduce((s, u) => s + u.importance[key as keyof typeof u.importance], 0) / at.length)}`,
    );
    table.push([
      fmtRate(rate),
      'all',
      pooled.map(f).join(' '),
      '',
      f(Math.max(...pooled)),
      `fusion: ${imp.join(', ')}`,
    ]);
  }
  return (
    `DERL expert usage on the test set (mean gate per expert, mean over ${seeds} seed${seeds > 1 ? 's' : ''}):\n` +
    textTable(['Rate', 'Modality', 'Shared experts', 'Private experts', 'Top shared', 'Per-sample max / fusion'], table)
  );
}

/** A run the page finished (or ended at a Ctrl-C), as opposed to one that diverged. */
export type FinishedRun = Extract<StartPageResult, { kind: 'done' }>;

/** What Node knows of the run beyond the page's result. */
export interface RunFacts {
  trainMissingRate: number;
  wallSeconds: number;
  browser: string;
  /** The WebGPU adapter, described (describeAdapter), and where the trainer ran ('browser', 'node'), as reported. */
  adapter: string | null;
  runtime: string | null;
}

/** Seconds to 0.1 s and rates to 0.1: the digits beyond are timer noise. */
const round1 = (x: number | undefined) => (typeof x === 'number' ? Math.round(x * 10) / 10 : x);

/** What a Ctrl-C left of the run, in one line (printed, and in results.json's run). */
export function interruptedText(
  s: { seed: number; epochsRun: number; bestEpoch: number | null },
  seeds: number[],
): string {
  return (
    `interrupted (Ctrl-C) during seed ${s.seed} after epoch ${s.epochsRun}` +
    `${s.bestEpoch !== null ? `; best epoch ${s.bestEpoch} kept (${ckptName('best', s.seed)})` : ''}; seeds evaluated: ${seeds.join(', ')}`
  );
}

/** The run choices in results.json: each one the model does not take is null. */
function runChoicesJson(o: StartOptions): Record<keyof RunChoices, string | null> {
  const takes = modelSpec(o.model).takes;
  const pick = <K extends keyof RunChoices>(k: K) => (takes.includes(k) ? o[k] : null);
  return {
    preset: pick('preset'),
    ablation: pick('ablation'),
    textUnk: pick('textUnk'),
    textEncoder: pick('textEncoder'),
  };
}

/** The run's tables over seeds: robustness by rate, whole modalities absent, DERL's experts. */
function summarize(result: FinishedRun) {
  const records: RobustnessRecord[] = result.outcomes.flatMap((o) =>
    o.rates.map((r) => ({ rate: r.rate, seed: o.seed, metrics: r.metrics })),
  );
  const drops = summarizeConditions(
    result.outcomes.flatMap((o) =>
      o.modalityDrop.map((d) => ({ condition: d.condition, seed: o.seed, metrics: d.metrics })),
    ),
  );
  const experts = result.outcomes.flatMap((o) => o.experts.map((e) => ({ seed: o.seed, ...e })));
  return { summary: summarizeRobustness(records), drops, experts };
}
type Tables = ReturnType<typeof summarize>;

function printTables(result: FinishedRun, label: string, { summary, drops, experts }: Tables): void {
  const n = result.outcomes.length;
  console.log('');
  console.log(formatRobustnessReport(summary, label));
  console.log(
    `\n${formatConditionTable(`Whole modalities absent (L text, A audio, V vision; the others complete; mean over ${n} seed${n > 1 ? 's' : ''})`, drops)}`,
  );
  if (experts.length) console.log(`\n${formatExpertUsage(experts)}`);
  const c = result.constant.metrics;
  console.log(
    `\nconstant predictor (always ${result.constant.value.toFixed(3)}, the mean training label), every rate: ` +
      `MAE ${c.mae.toFixed(3)}, Acc-2 (Has0) ${(100 * c.acc2Has0).toFixed(2)}, Acc-2 (Non0) ${(100 * c.acc2Non0).toFixed(2)}, Acc-7 ${(100 * c.acc7).toFixed(2)}`,
  );
}

/** results.json: the tables, the run's options and facts, and each seed's training history. */
function resultsJson(result: FinishedRun, opts: StartOptions, facts: RunFacts, { summary, drops, experts }: Tables) {
  const stopped = result.interrupted;
  return {
    ...robustnessJson(summary, opts.label),
    run: {
      model: opts.model,
      ...runChoicesJson(opts),
      dataset: opts.data ? path.resolve(opts.data) : opts.dataset,
      seeds: opts.seeds,
      epochs: opts.epochs,
      batchSize: opts.batchSize,
      lr: opts.lr,
      bertLrScale: opts.bertLrScale,
      bertPretrainSteps: opts.bertPretrainSteps,
      weightDecay: opts.weightDecay,
      trainMissingRate: facts.trainMissingRate,
      halfComplete: opts.halfComplete,
      missingField: opts.missingField,
      trainSubset: opts.trainSubset,
      validSubset: opts.validSubset,
      testSubset: opts.testSubset,
      sharedContent: opts.sharedContent,
      testSamples: result.testN,
      maskSeed: LNLN_EVAL_SEED,
      wallSeconds: round1(facts.wallSeconds),
      // Where the wall time went outside the seeds (each seed's phases are in training[].phases).
      phases: { setup: round1(result.setupSeconds), report: 0 },
      runtime: facts.runtime,
      adapter: facts.adapter,
      browser: facts.browser,
      ...(stopped
        ? {
            interrupted: interruptedText(
              stopped,
              result.outcomes.map((o) => o.seed),
            ),
          }
        : {}),
    },
    modalityDrop: drops.map((d) => ({ absent: d.condition, mean: d.mean, perSeed: d.perSeed })),
    ...(experts.length ? { experts } : {}),
    baselines: { constant: { value: result.constant.value, metrics: result.constant.metrics } },
    training: result.outcomes.map((o) => ({
      seed: o.seed,
      parameters: o.parameters,
      bestEpoch: o.bestEpoch,
      bestValidLoss: o.bestValidLoss,
      epochsRun: o.epochsRun,
      stoppedEarly: o.stoppedEarly,
      resumedFrom: o.resumedFrom,
      trainSeconds: round1(o.trainSeconds),
      evalSeconds: round1(o.evalSeconds),
      phases: roundPhases(o.phases),
      history: o.history.map((h) => ({
        epoch: h.epoch,
        train: h.train,
        valid: h.valid,
        validMetrics: h.validMetrics,
        improved: h.improved,
        lr: h.lr,
        seconds: round1(h.seconds),
        trainSeconds: round1(h.trainSeconds),
        validSeconds: round1(h.validSeconds),
        compileSeconds: round1(h.compileSeconds),
        probeSeconds: round1(h.probeSeconds),
        checkpointSeconds: round1(h.checkpointSeconds),
        samplesPerSec: round1(h.samplesPerSec),
        ...(h.probes === undefined ? {} : { probes: h.probes as DecouplingProbe }),
      })),
      ...(o.probes?.length ? { probes: o.probes } : {}),
    })),
  };
}

const roundPhases = (p: SeedPhases) =>
  Object.fromEntries(Object.entries(p).map(([k, v]) => [k, round1(v)])) as unknown as SeedPhases;

/** The phases' labels, in the order of a seed's run. */
const PHASE_LABELS: Record<keyof SeedPhases, string> = {
  compile: 'compiling the first step',
  steps: 'training steps',
  validation: 'validation (per epoch)',
  probes: 'probes (per epoch)',
  checkpoints: 'checkpoints',
  trainOther: 'other training',
  evalRates: 'test: 10 missing rates',
  evalAbsent: 'test: modalities absent',
  evalExperts: 'test: expert usage',
  evalProbes: 'test: probes',
};

/** Where the wall time went: setup, each phase summed over the seeds (and per seed), the report, in seconds. */
export function formatPhases(result: FinishedRun, reportSeconds: number, wallSeconds: number): string {
  const seeds = result.outcomes;
  const f = (x: number) => x.toFixed(1);
  const rows: string[][] = [['setup (adapter, data, BERT)', f(result.setupSeconds), ...seeds.map(() => '')]];
  for (const [k, label] of Object.entries(PHASE_LABELS) as [keyof SeedPhases, string][]) {
    const per = seeds.map((o) => o.phases[k]);
    rows.push([label, f(per.reduce((a, b) => a + b, 0)), ...per.map(f)]);
  }
  rows.push(['report (tables, results.json, report.html)', f(reportSeconds), ...seeds.map(() => '')]);
  return (
    `time by phase (s; total wall ${f(wallSeconds)}):\n` +
    textTable(['Phase', 'All seeds', ...seeds.map((o) => `Seed ${o.seed}`)], rows)
  );
}

/** Prints the tables of a run with at least one seed evaluated, and writes results.json and report.html. */
export async function reportRun(result: FinishedRun, opts: StartOptions, facts: RunFacts): Promise<void> {
  const tReport = performance.now();
  const tables = summarize(result);
  printTables(result, opts.label, tables);
  const json = resultsJson(result, opts, facts, tables);
  const html = htmlReport(json);
  // The report's own time: building the tables, results.json and report.html (the two small writes after it are not).
  const reportSeconds = (performance.now() - tReport) / 1000;
  json.run.phases.report = round1(reportSeconds)!;
  const jsonFile = path.join(opts.out, 'results.json');
  await writeFileAtomic(jsonFile, new TextEncoder().encode(`${JSON.stringify(json, null, 2)}\n`));
  const reportFile = path.join(opts.out, 'report.html');
  await writeFileAtomic(reportFile, new TextEncoder().encode(html));
  console.log(`\n${formatPhases(result, reportSeconds, facts.wallSeconds)}`);
  const params = result.outcomes[0]?.parameters;
  console.log(
    `\nwrote ${jsonFile}, ${reportFile} (charts and tables), best-seed<seed>.safetensors (resumable) and model-seed<seed>.safetensors (weights + config) for seeds ${result.outcomes.map((o) => o.seed).join(', ')}` +
      `${params ? ` (${params.toLocaleString('en-US')} parameters)` : ''}`,
  );
  const wall = facts.wallSeconds;
  console.log(`total wall time ${fmtDuration(wall)} (${wall.toFixed(1)} s)`);
}
