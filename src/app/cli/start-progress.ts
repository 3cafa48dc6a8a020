// What `npm start` prints while the page runs: one status line that rewrites itself on a terminal, and a permanent line
// for each thing worth keeping (the adapter, the data, the plan, every epoch, every seed), from the page's messages.

import path from 'node:path';
import type { DecouplingProbe } from '../eval/probes';
import { describeAdapter } from '../../engine/gpu';
import { EVAL_RATES } from '../data/missing';
import { modelSpec } from '../models/catalog';
import type { StartMessage } from './start-messages';
import type { StartOptions } from './start-options';
import { ckptName } from './start-resume';

export function fmtDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '?';
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const fmtLoss = (x: number) =>
  Math.abs(x) >= 100 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : x.toFixed(3);
const fmtTerms = (t: Record<string, number>, keys?: string[]) =>
  (keys ?? Object.keys(t))
    .filter((k) => k in t)
    .map((k) => `${k} ${fmtLoss(t[k])}`)
    .join(' ');

/** One status line that rewrites itself on a TTY; permanent lines print above it. */
export class StatusLine {
  private shown = false;
  constructor(private readonly tty: boolean) {}
  update(text: string) {
    if (!this.tty) return;
    const cols = process.stdout.columns || 120;
    const line = text.length > cols - 1 ? `${text.slice(0, cols - 2)}…` : text;
    process.stdout.write(`\r${line}\x1b[K`);
    this.shown = true;
  }
  print(text: string) {
    if (this.shown) process.stdout.write('\r\x1b[K');
    this.shown = false;
    process.stdout.write(`${text}\n`);
  }
  clear() {
    if (this.shown) process.stdout.write('\r\x1b[K');
    this.shown = false;
  }
}

/** The messages that are progress (the others end the run or concern the server). */
export type ProgressMessage = Exclude<StartMessage, { kind: 'finished' | 'failed' | 'expect' }>;
type Of<K extends ProgressMessage['kind']> = Extract<ProgressMessage, { kind: K }>;

/** Prints the page's progress messages, and estimates the time left from the speed so far. */
export class ProgressPrinter {
  /** The training missing rate the run uses: the option's, else by the data (0.4 on MOSEI-shaped data, else 0.3). */
  trainMissingRate: number;
  private sizes = { train: 0, valid: 0, test: 0 };
  private testN = 0;
  private readonly seedTimes: number[] = [];
  private readonly seedStart: number[] = [];
  private evalSecPerPrediction: number | null = null;
  private lastSamplesPerSec: number | null = null;
  private trainSecThisSeed = 0;
  /** The adapter (described) and the runtime the page reported, for results.json; null until it has. */
  adapter: string | null = null;
  runtime: string | null = null;

  constructor(
    private readonly opts: StartOptions,
    private readonly status: StatusLine,
    private readonly tStart: number,
    private readonly browserPath: string,
  ) {
    this.trainMissingRate = opts.trainMissingRate ?? 0.3;
  }

  handle(m: ProgressMessage): void {
    switch (m.kind) {
      case 'adapter':
        this.adapter = describeAdapter(m.adapter);
        this.runtime = m.runtime;
        return this.status.print(
          `WebGPU adapter: ${this.adapter}\n${m.runtime === 'browser' ? `browser: ${this.browserPath}` : `runtime: ${m.runtime}`}`,
        );
      case 'dataset':
        return this.dataset(m);
      case 'plan':
        return this.plan(m);
      case 'pretraining': {
        const line = `BERT masked-LM pre-training: step ${m.step}/${m.steps}, loss ${m.loss.toFixed(3)}, ${m.seconds.toFixed(1)} s`;
        return m.step === m.steps ? this.status.print(line) : this.status.update(line);
      }
      case 'progress':
        return this.progress(m);
      case 'epoch':
        return this.epoch(m);
      case 'compiling':
        if (m.total === 0) return;
        if (m.done === 0)
          return this.status.print(`seed ${m.seed}: compiling kernels 0/${m.total} for the first training step…`);
        return this.status.update(`seed ${m.seed}: compiling kernels ${m.done}/${m.total}`);
      case 'evaluating':
        this.trainSecThisSeed = m.trainSeconds;
        return this.status.update(`seed ${m.seed}: evaluating ${m.rates} missing rates × ${m.testN} test samples…`);
      case 'evalProgress':
        return this.evalProgress(m);
      case 'seedDone':
        return this.seedDone(m);
    }
  }

  private dataset(m: Of<'dataset'>): void {
    const { opts, status } = this;
    this.sizes = { ...m.sizes };
    const dims = m.dims;
    if (opts.trainMissingRate === null && dims.audio.len === 500 && dims.audio.dim === 74) this.trainMissingRate = 0.4;
    status.print(
      `dataset: ${m.name}${opts.data ? ` (${opts.data})` : ''}${m.knownAs ? ` (${m.knownAs})` : ''}, train/valid/test ${m.sizes.train}/${m.sizes.valid}/${m.sizes.test}; ` +
        `text ${dims.text.len}×${dims.text.dim}, audio ${dims.audio.len}×${dims.audio.dim}, vision ${dims.vision.len}×${dims.vision.dim}` +
        (m.seconds ? ` (read in ${m.seconds.toFixed(1)} s)` : ''),
    );
    for (const w of m.warnings) status.print(`warning: ${w}`);
  }

  /** What this run will do, in samples. */
  private plan(m: Of<'plan'>): void {
    const { opts, sizes } = this;
    this.testN = m.testN;
    const nTrain = Math.min(opts.trainSubset ?? sizes.train, sizes.train);
    const subset = nTrain < sizes.train ? ` (a fresh random ${nTrain} of ${sizes.train} each epoch)` : '';
    const nValid = Math.min(opts.validSubset ?? sizes.valid, sizes.valid);
    const steps = Math.ceil(nTrain / opts.batchSize);
    const selection = modelSpec(opts.model).selection;
    this.status.print(
      `budget: ${opts.seeds.length} seed${opts.seeds.length > 1 ? 's' : ''} (${opts.seeds.join(', ')}) × ${opts.epochs} epoch${opts.epochs === 1 ? '' : 's'} × ` +
        `${nTrain} training samples${subset} = ${steps} step${steps === 1 ? '' : 's'} of ${opts.batchSize} (${opts.epochs * steps} step${opts.epochs * steps === 1 ? '' : 's'} per seed), ` +
        `validation ${nValid} samples per epoch, evaluation ${EVAL_RATES.length} rates × ${m.testN} test samples per seed\n` +
        `training: ${opts.label}, k = ${this.trainMissingRate}${opts.halfComplete ? ' (half-complete per-sample rates)' : ''} ` +
        `(${opts.missingField === 'fresh' ? 'new dropped positions every epoch' : 'the same dropped positions every epoch'}), ` +
        `AdamW lr ${opts.lr}${opts.bertLrScale !== 1 ? ` (BERT ×${opts.bertLrScale})` : ''}, weight decay ${opts.weightDecay} (10% warm-up, cosine)` +
        `${opts.bertPretrainSteps ? `, BERT pre-trained by ${opts.bertPretrainSteps} masked-LM steps first` : ''}, model selection by the smallest validation loss` +
        `${selection ? ` ${selection}` : ''}; output ${opts.out}`,
    );
  }

  private progress(m: Of<'progress'>): void {
    if (this.seedStart[m.seedIndex] === undefined) this.seedStart[m.seedIndex] = performance.now();
    this.lastSamplesPerSec = m.samplesPerSec;
    const eta = this.trainingEta(m.seedIndex, m.etaSec, m.samplesPerSec);
    this.status.update(
      `seed ${m.seed} (${m.seedIndex + 1}/${this.opts.seeds.length})  epoch ${m.epoch}/${m.epochs}  step ${m.step}/${m.stepsPerEpoch}  ` +
        `${fmtTerms(m.terms)}  lr ${m.lr.toExponential(1)}  ${m.samplesPerSec.toFixed(1)} samples/s  ETA ${fmtDuration(eta)}`,
    );
  }

  private epoch(m: Of<'epoch'>): void {
    const v = m.validMetrics;
    this.status.print(
      `seed ${m.seed} epoch ${m.epoch}/${m.epochs}: train ${fmtTerms(m.train)} | valid L_total ${fmtLoss(m.valid.total)} ` +
        (m.valid.selection !== undefined ? `(without CLUB ${fmtLoss(m.valid.selection)}) ` : '') +
        `MAE ${v.mae.toFixed(3)} Corr ${Number.isNaN(v.corr) ? 'nan' : v.corr.toFixed(3)} Acc-2(Has0) ${(100 * v.acc2Has0).toFixed(1)}` +
        `${m.improved ? '  * best' : ''} | ${m.trainSeconds.toFixed(1)} s + valid ${m.validSeconds.toFixed(1)} s, ${m.samplesPerSec.toFixed(1)} samples/s`,
    );
    if (m.probes) this.status.print(`  probes: ${probeLine(m.probes as DecouplingProbe)}`);
  }

  private evalProgress(m: Of<'evalProgress'>): void {
    const seeds = this.opts.seeds;
    if (m.done > 0) this.evalSecPerPrediction = m.elapsedSec / m.done;
    this.status.update(
      `seed ${seeds[m.seedIndex]} (${m.seedIndex + 1}/${seeds.length})  evaluating: ${m.done}/${m.total} predictions  ` +
        `ETA ${fmtDuration(this.evalEta(m.seedIndex, m.total - m.done, this.lastSamplesPerSec ?? 1))}`,
    );
  }

  private seedDone(m: Of<'seedDone'>): void {
    this.seedTimes.push(m.trainSeconds + m.evalSeconds);
    this.status.print(
      `seed ${m.seed}: trained in ${fmtDuration(m.trainSeconds)} (best epoch ${m.bestEpoch}), evaluated in ${fmtDuration(m.evalSeconds)}; ` +
        `best checkpoint ${path.join(this.opts.out, ckptName('best', m.seed))}`,
    );
  }

  // The ETA: until the page has timed a prediction, evaluation is guessed at a third of a training sample.
  private evalOneSeed(samplesPerSec: number): number {
    return (this.evalSecPerPrediction ?? 1 / Math.max(1e-9, 3 * samplesPerSec)) * this.testN * EVAL_RATES.length;
  }

  /** Seconds per seed: measured once a seed is done, else this seed's training plus its evaluation's estimate. */
  private perSeed(trainSec: number, samplesPerSec: number): number {
    const t = this.seedTimes;
    return t.length ? t.reduce((a, b) => a + b, 0) / t.length : trainSec + this.evalOneSeed(samplesPerSec);
  }

  /** Seconds left in the whole run: this seed's training and evaluation, then the seeds after it. */
  private trainingEta(seedIndex: number, seedEta: number, samplesPerSec: number): number {
    const trainSec = (performance.now() - (this.seedStart[seedIndex] ?? this.tStart)) / 1000 + seedEta;
    return (
      seedEta +
      this.evalOneSeed(samplesPerSec) +
      (this.opts.seeds.length - seedIndex - 1) * this.perSeed(trainSec, samplesPerSec)
    );
  }

  private evalEta(seedIndex: number, left: number, samplesPerSec: number): number {
    return (
      left * (this.evalSecPerPrediction ?? 0) +
      (this.opts.seeds.length - seedIndex - 1) * this.perSeed(this.trainSecThisSeed, samplesPerSec)
    );
  }
}

/** One epoch's decoupling probes in a line (src/app/eval/probes.ts). */
export function probeLine(p: DecouplingProbe): string {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const r = p.retrieval;
  const r2 = p.r2
    ? ` | R² s←com ${p.r2.sharedFromCommon.toFixed(2)} s←spec ${p.r2.sharedFromSpecific.toFixed(2)} z←spec ${p.r2.privateFromSpecific.toFixed(2)} z←com ${p.r2.privateFromCommon.toFixed(2)}` +
      (p.r2.contentFromCommon === null || p.r2.contentFromSpecific === null
        ? ''
        : ` u←com ${p.r2.contentFromCommon.toFixed(2)} u←spec ${p.r2.contentFromSpecific.toFixed(2)}`)
    : '';
  return (
    `retrieval com ${pct(r.common32)} (batch, chance ${pct(r.chance32)}) ${pct(r.commonAll)} (all ${p.n}), spec ${pct(r.specific32)} / ${pct(r.specificAll)}` +
    ` | MI(com; spec) ${p.mi.toFixed(2)} nats${r2} | gates ${p.gate.map((g) => g.toFixed(2)).join(' ')}` +
    ` | ‖Ĥ−H‖ ${p.recon.hat.toFixed(2)} vs ‖H̃−H‖ ${p.recon.tilde.toFixed(2)}`
  );
}
