// `npm start`: trains DAR (or the late-fusion baseline) on WebGPU in headless Chrome and prints the robustness table.
//
// Node's part: parse the flags, serve the page, the data file and the checkpoints from a small HTTP server on
// 127.0.0.1, launch Chrome, show a live progress line, write every checkpoint atomically (write, then rename) as the
// page POSTs it, and print / save the results (Table 1 row, per-rate table, JSON). Training and evaluation run in the
// page (src/cli/start-page.ts). Bytes (the MMSA pickle, checkpoints) go over HTTP, never through the DevTools protocol.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BrowserNotFoundError, launchBrowser, type LaunchedBrowser } from '../node/browser';
import type { Page } from 'puppeteer';
import { removeStaleTemps, writeFileAtomic } from '../io/atomic';
import { describeNonFinite, entryToFloat32, parseSafetensors } from '../io/safetensors';
import { describeAdapter } from '../gpu';
import { EVAL_RATES, LNLN_EVAL_SEED } from '../data/missing';
import { fmtRate, formatConditionTable, formatRobustnessReport, robustnessJson, summarizeConditions, summarizeRobustness, textTable, type RobustnessRecord } from '../eval/report';
import type { StartPageOptions, StartPageResult } from './start-page';
import { startRunExpression, type StartMessage } from './start-messages';
import type { DerlExpertUsage } from '../models/derl/model';
import { htmlReport } from '../report/html';
import { isMainModule } from '../node/main-module';
import { serveStart } from './start-server';
import { OutDirError, prepareOutDir } from '../node/out-dir';
import { INTERRUPTED_EXIT_CODE, onInterrupt } from '../node/interrupt';
import { MODEL_NAMES, MODELS, modelSpec, type ModelName, type ModelSpec, type RunChoices } from '../models/catalog';
import { DAR_ABLATIONS } from '../models/dar/config';

export const HELP = `Usage: npm start -- [options]

Trains DAR (the 'small' preset by default) on synthetic-mosi, entirely on WebGPU in headless Chrome/Chromium, with
3 seeds; evaluates each trained model on the test set at missing rates 0.0-0.9 (LNLN's protocol, mask seed 1111);
prints the paper's Table 1 row (Acc-2 and F1 with Has0 / Non0 spelled out) and the per-rate table; writes
results.json and the checkpoints (safetensors) into the output directory.

Data and model:
  --data <path>               an MMSA feature file (unaligned_50.pkl of MOSI or MOSEI) instead of synthetic data
  --dataset <name>            synthetic-mosi (default; MOSI's shapes and split sizes) or tiny (48/16/32 samples)
  --model <name>              dar (default), derl (mixture of disentangled experts) or latefusion (the plain
                              late-fusion baseline)
  --preset <name>             DAR/DERL size: small (default; d = 32, depth 1) or paper (d = 128, LNLN-sized blocks)
  --ablation <name>           DAR's Table 2 variants: full (default), noSim, noDiff, noSimDiff, noRecon, noBoot
  --text-unk <mode>           DAR/DERL's dropped text tokens: zero (default; the zeroed feature vectors) or learned (a
                              learned [UNK] vector where a token was dropped)

Training:
  --epochs <n>                epochs per seed (default 4 for DAR small and latefusion, 8 for DERL small, 200 for
                              paper)
  --seeds <list>              training seeds, comma-separated (default 1111,1112,1113)
  --train-missing-rate <k>    constant training missing rate in [0, 1) (default 0.3; 0.4 for MOSEI-shaped data)
  --half-complete             LNLN's training corruption instead: per-sample rates ~ U(0,1), half the samples complete
  --missing-field <mode>      fresh (default: a new uniform field, so new dropped positions, every epoch) or fixed
                              (LNLN: the same field, so the same positions dropped, every epoch)
  --batch-size <n>            default 32
  --lr <x>                    peak AdamW learning rate (default 2e-3 for small / latefusion, 1e-4 for paper)
  --weight-decay <x>          AdamW's decoupled weight decay (default 1e-4)
  --patience <n>              early stop after n epochs without a better validation L_total (default: never)
  --train-subset <n|all>      train on a fresh random subset of n training samples each epoch (default all)
  --valid-subset <n>          validate on the first n validation samples (default: all)
  --test-subset <n>           evaluate on the first n test samples (default: all)

Output:
  --out <dir>                 output directory (default runs/<timestamp>)
  --resume <path>             continue from a checkpoint file (its seed) or a previous output directory (every seed
                              with a last-seed<seed>.safetensors there); options must match the original run
  --label <text>              the method's name in the tables (default DAR (small) / late fusion)
  -h, --help                  show this help

The issue's quality floor (DAR vs a constant predictor vs late fusion at every rate, and k = 0.3 vs k = 0) is three
runs and a comparison, about 12 minutes in all (the constant predictor is in every run's results.json):
  npm start -- --out runs/dar
  npm start -- --out runs/latefusion --model latefusion
  npm start -- --out runs/dar-k0 --train-missing-rate 0
  node dist/compare.mjs runs/dar runs/latefusion runs/dar-k0
Add DERL's column (and its whole-modality tables) with npm start -- --out runs/derl --model derl (about 6 minutes)
and runs/derl as one more argument to compare.mjs.

Ctrl-C stops training after the current step: the best epoch so far (its checkpoint is kept) is evaluated, a partial
results.json and report.html are written, the browser is closed, and the exit code is 130. A second Ctrl-C quits at
once.

Environment:
  WEBGRAD_CHROME              path to a Chrome/Chromium executable (otherwise the system one is used)
`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface StartOptions {
  data: string | null;
  dataset: 'synthetic-mosi' | 'tiny' | 'mmsa';
  model: ModelName;
  preset: RunChoices['preset'];
  ablation: RunChoices['ablation'];
  textUnk: RunChoices['textUnk'];
  epochs: number;
  seeds: number[];
  trainMissingRate: number | null; // null: by dataset (0.3 MOSI, 0.4 MOSEI)
  halfComplete: boolean;
  missingField: 'fixed' | 'fresh';
  batchSize: number;
  lr: number;
  weightDecay: number;
  patience: number | null;
  trainSubset: number | null;
  validSubset: number | null;
  testSubset: number | null;
  out: string;
  resume: string | null;
  label: string;
  help: boolean;
}

const OPTIONS = {
  data: { type: 'string' },
  dataset: { type: 'string' },
  model: { type: 'string' },
  preset: { type: 'string' },
  ablation: { type: 'string' },
  'text-unk': { type: 'string' },
  epochs: { type: 'string' },
  seeds: { type: 'string' },
  'train-missing-rate': { type: 'string' },
  'half-complete': { type: 'boolean' },
  'missing-field': { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  'weight-decay': { type: 'string' },
  patience: { type: 'string' },
  'train-subset': { type: 'string' },
  'valid-subset': { type: 'string' },
  'test-subset': { type: 'string' },
  out: { type: 'string' },
  resume: { type: 'string' },
  label: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function timestamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Parses and validates the command line; throws UsageError with a one-line message. */
export function parseStartArgs(argv: string[]): StartOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (e) {
    // node:util's messages are long and sometimes multi-line; say the same in one short line.
    const msg = String((e as Error).message).split('\n')[0];
    const flag = /Option '(-\w, )?(--[\w-]+)/.exec(msg)?.[2];
    if (flag && /argument missing/.test(msg)) throw new UsageError(`${flag} needs a value`);
    if (flag && /ambiguous/.test(msg)) throw new UsageError(`${flag}: write a value starting with '-' as ${flag}=<value>`);
    throw new UsageError(msg.replace(/\. To specify a positional.*$/, ''));
  }
  const str = (k: string) => values[k] as string | undefined;
  const choice = <T extends string>(flag: string, allowed: readonly T[], dflt: T): T => {
    const v = str(flag);
    if (v === undefined) return dflt;
    if (!allowed.includes(v as T)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}; got '${v}'`);
    return v as T;
  };
  const int = (flag: string, min: number): number | null => {
    const v = str(flag);
    if (v === undefined) return null;
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`--${flag} must be an integer ≥ ${min}; got '${v}'`);
    return n;
  };
  const num = (flag: string, ok: (x: number) => boolean, what: string): number | null => {
    const v = str(flag);
    if (v === undefined) return null;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new UsageError(`--${flag} must be ${what}; got '${v}'`);
    return n;
  };

  const data = str('data') ?? null;
  if (data !== null) {
    if (str('dataset') !== undefined) throw new UsageError('--data and --dataset exclude each other (--data reads an MMSA file)');
    if (!fs.existsSync(data)) throw new UsageError(`--data: no such file: ${data}`);
    if (!fs.statSync(data).isFile()) throw new UsageError(`--data: not a file: ${data}`);
  }
  const dataset = data !== null ? 'mmsa' : choice('dataset', ['synthetic-mosi', 'tiny'] as const, 'synthetic-mosi');
  const model = choice('model', MODEL_NAMES, 'dar');
  const spec = modelSpec(model);
  const preset = choice('preset', ['small', 'paper'] as const, 'small');
  const ablation = choice('ablation', DAR_ABLATIONS, 'full');
  const textUnk = choice('text-unk', ['zero', 'learned'] as const, 'zero');
  // --preset counts as set when given at all (it sizes the model); the others when they differ from their default.
  checkChoicesApply(spec, { preset: str('preset') !== undefined, ablation: ablation !== 'full', textUnk: textUnk !== 'zero' });
  const seedsText = str('seeds') ?? '1111,1112,1113';
  const seeds = seedsText.split(',').map((s) => s.trim());
  for (const s of seeds) {
    if (!/^-?\d+$/.test(s) || !Number.isSafeInteger(Number(s))) throw new UsageError(`--seeds must be comma-separated integers; got '${seedsText}'`);
  }
  const seedNums = seeds.map(Number);
  if (new Set(seedNums).size !== seedNums.length) throw new UsageError(`--seeds has a repeated seed: '${seedsText}'`);
  const size = spec.takes.includes('preset') ? preset : 'small';
  const epochs = int('epochs', 1) ?? spec.epochs(size);
  const lr = num('lr', (x) => x > 0, 'a number > 0') ?? spec.lr(size);
  const resume = str('resume') ?? null;
  if (resume !== null && !fs.existsSync(resume)) throw new UsageError(`--resume: no such file or directory: ${resume}`);
  return {
    data,
    dataset,
    model,
    preset,
    ablation,
    textUnk,
    epochs,
    seeds: seedNums,
    trainMissingRate: num('train-missing-rate', (x) => x >= 0 && x < 1, 'a number in [0, 1)'),
    halfComplete: values['half-complete'] === true,
    // 'fresh' rather than LNLN's 'fixed': with a constant rate k, a fixed field drops the same positions of a sample in
    // every epoch, which a model can memorise; fresh positions act as augmentation (synthetic-mosi, DAR small, 3 seeds:
    // MAE 0.674 → 0.669 at rate 0.3, 0.848 → 0.826 at 0.8, 0.963 → 0.941 at 0.9).
    missingField: choice('missing-field', ['fixed', 'fresh'] as const, 'fresh'),
    batchSize: int('batch-size', 1) ?? 32,
    lr,
    weightDecay: num('weight-decay', (x) => x >= 0, 'a number ≥ 0') ?? 1e-4,
    patience: int('patience', 1),
    trainSubset: str('train-subset') === 'all' ? null : int('train-subset', 1),
    validSubset: int('valid-subset', 1),
    testSubset: int('test-subset', 1),
    out: str('out') ?? path.join('runs', timestamp()),
    resume,
    label: str('label') ?? spec.label({ preset, ablation, textUnk }),
    help: values.help === true,
  };
}

export { DEFAULT_EPOCHS, DERL_EPOCHS } from '../models/catalog';

const FLAGS: Record<keyof RunChoices, string> = { preset: '--preset', ablation: '--ablation', textUnk: '--text-unk' };

/** "a", "a and b", "a, b and c". */
const joinAnd = (xs: string[]) => (xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`);

/** Refuses a choice the model does not take (`set`: which choices the command line set). */
function checkChoicesApply(spec: ModelSpec, set: Record<keyof RunChoices, boolean>): void {
  const others = (Object.keys(FLAGS) as (keyof RunChoices)[]).filter((k) => !spec.takes.includes(k));
  if (!others.some((k) => set[k])) return;
  const takers = MODELS.filter((m) => others.some((k) => m.takes.includes(k))).map((m) => m.name);
  const flags = others.map((k) => FLAGS[k]);
  throw new UsageError(`${joinAnd(flags)} appl${flags.length > 1 ? 'y' : 'ies'} to --model ${joinAnd(takers)} only`);
}

// ------------------------------------------------------------------------------------------- checkpoints

const ckptName = (kind: 'best' | 'last', seed: number) => `${kind}-seed${seed}.safetensors`;

function readMeta(file: string): Record<string, unknown> {
  let parsed: ReturnType<typeof parseSafetensors>;
  try {
    parsed = parseSafetensors(new Uint8Array(fs.readFileSync(file)));
  } catch (e) {
    throw new UsageError(`--resume: ${file} is not a readable checkpoint: ${(e as Error).message}`);
  }
  // Training on from NaN/Inf weights only produces more of them: refuse before the browser starts.
  for (const [name, e] of parsed.tensors) {
    const bad = describeNonFinite(name, entryToFloat32(e, name));
    if (bad) throw new UsageError(`--resume: ${file} holds non-finite values: ${bad}; resume from an earlier checkpoint`);
  }
  const md = parsed.metadata;
  try {
    return JSON.parse(md['webgrad.meta'] ?? '{}');
  } catch {
    throw new UsageError(`--resume: ${file} has no valid training metadata`);
  }
}

export interface ResumeEntry {
  /** The checkpoint training continues from. */
  from: string;
  /** The run's best checkpoint so far, when it is another file. */
  best: string | null;
  meta: Record<string, unknown>;
}

/** Options of the command line that a resumed run must share with the checkpoint (the trainer checks them all). */
function resumeMismatches(meta: Record<string, unknown>, o: StartOptions): string[] {
  const saved = (meta.options ?? {}) as Record<string, unknown>;
  const kind = modelSpec(o.model).kind;
  const out: string[] = [];
  if (meta.model !== kind) out.push(`model: checkpoint ${String(meta.model)}, now ${kind}`);
  const want: Record<string, unknown> = { batchSize: o.batchSize, lr: o.lr, weightDecay: o.weightDecay, halfComplete: o.halfComplete, missingField: o.missingField,
    trainSubset: o.trainSubset ?? undefined };
  if (o.trainMissingRate !== null) want.trainMissingRate = o.trainMissingRate;
  for (const [k, v] of Object.entries(want)) {
    if (JSON.stringify(saved[k]) !== JSON.stringify(v)) out.push(`${k}: checkpoint ${JSON.stringify(saved[k])}, now ${JSON.stringify(v)}`);
  }
  return out;
}

/** Which checkpoint files resume which seed: `from` (continue from) and `best` (its best epoch so far). */
export function planResume(resume: string, seeds: number[], opts?: StartOptions): Map<number, ResumeEntry> {
  const plan = new Map<number, ResumeEntry>();
  const add = (seed: number, from: string, best: string | null) => {
    const meta = readMeta(from);
    if (meta.format !== 'webgrad-train/1' || meta.seed !== seed) throw new UsageError(`--resume: ${from} is not a training checkpoint of seed ${seed}`);
    const bad = opts ? resumeMismatches(meta, opts) : [];
    if (bad.length) throw new UsageError(`--resume: ${from} was trained with other options (${bad.join('; ')})`);
    plan.set(seed, { from, best, meta });
  };
  const sibling = (dir: string, seed: number, from: string) => {
    const b = path.join(dir, ckptName('best', seed));
    return fs.existsSync(b) && path.resolve(b) !== path.resolve(from) ? b : null;
  };
  if (fs.statSync(resume).isDirectory()) {
    for (const seed of seeds) {
      const last = path.join(resume, ckptName('last', seed));
      if (fs.existsSync(last)) add(seed, last, sibling(resume, seed, last));
    }
    if (!plan.size) throw new UsageError(`--resume: ${resume} has no last-seed<seed>.safetensors for seeds ${seeds.join(', ')}`);
    return plan;
  }
  const meta = readMeta(resume);
  const seed = meta.seed as number;
  if (meta.format !== 'webgrad-train/1' || !Number.isInteger(seed)) throw new UsageError(`--resume: ${resume} is not a training checkpoint of npm start`);
  if (!seeds.includes(seed)) throw new UsageError(`--resume: ${resume} is seed ${seed}, which is not in --seeds ${seeds.join(',')}`);
  add(seed, resume, sibling(path.dirname(resume), seed, resume));
  return plan;
}

/** The epoch saved in a checkpoint's meta, or null when the file is missing or unreadable. */
function savedEpoch(file: string): number | null {
  try {
    const epoch: unknown = JSON.parse(parseSafetensors(new Uint8Array(fs.readFileSync(file))).metadata['webgrad.meta'] ?? '{}').epoch;
    return typeof epoch === 'number' ? epoch : null;
  } catch {
    return null;
  }
}

/**
 * The file holding a diverged seed's last good epoch: this run's last-seed<seed> checkpoint, or the one it resumed
 * from (a run that diverges before its first checkpoint has written none). Null when neither exists with that epoch.
 */
export function lastGoodFile(out: string, seed: number, epoch: number, resume: ReadonlyMap<number, ResumeEntry>): string | null {
  const candidates = [path.join(out, ckptName('last', seed)), resume.get(seed)?.from];
  return candidates.find((f): f is string => f !== undefined && savedEpoch(f) === epoch) ?? null;
}

// ---------------------------------------------------------------------------------------------- printing

export function fmtDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '?';
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const fmtLoss = (x: number) => (Math.abs(x) >= 100 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : x.toFixed(3));
const fmtTerms = (t: Record<string, number>, keys?: string[]) =>
  (keys ?? Object.keys(t)).filter((k) => k in t).map((k) => `${k} ${fmtLoss(t[k])}`).join(' ');

/** One status line that rewrites itself on a TTY; permanent lines print above it. */
class StatusLine {
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
      table.push([fmtRate(rate), m.modality, shared.map(f).join(' '), priv.map(f).join(' '), f(Math.max(...shared)), f(sampleMax)]);
    }
    const pooled = mean(at.map((u) => u.pooledShared));
    const imp = Object.keys(at[0].importance).map((key) => `${key} ${f(at.reduce((s, u) => s + u.importance[key as keyof typeof u.importance], 0) / at.length)}`);
    table.push([fmtRate(rate), 'all', pooled.map(f).join(' '), '', f(Math.max(...pooled)), `fusion: ${imp.join(', ')}`]);
  }
  return `DERL expert usage on the test set (mean gate per expert, mean over ${seeds} seed${seeds > 1 ? 's' : ''}):\n` +
    textTable(['Rate', 'Modality', 'Shared experts', 'Private experts', 'Top shared', 'Per-sample max / fusion'], table);
}

// -------------------------------------------------------------------------------------------------- main

/** --out is checked and created before anything else starts, so a path that cannot hold files fails at once. */
function makeOutDir(out: string): void {
  try {
    prepareOutDir(out);
  } catch (e) {
    if (e instanceof OutDirError) throw new UsageError(`--out ${e.message}`);
    throw e;
  }
}

/** The run choices in results.json: each one the model does not take is null. */
function runChoicesJson(o: StartOptions): Record<keyof RunChoices, string | null> {
  const takes = modelSpec(o.model).takes;
  const pick = <K extends keyof RunChoices>(k: K) => (takes.includes(k) ? o[k] : null);
  return { preset: pick('preset'), ablation: pick('ablation'), textUnk: pick('textUnk') };
}

const selectionNote = (m: ModelName) => (modelSpec(m).selection ? ` ${modelSpec(m).selection}` : '');

/** What a Ctrl-C left of the run, in one line (printed, and in results.json's run). */
function interruptedText(s: { seed: number; epochsRun: number; bestEpoch: number | null }, seeds: number[]): string {
  return `interrupted (Ctrl-C) during seed ${s.seed} after epoch ${s.epochsRun}` +
    `${s.bestEpoch !== null ? `; best epoch ${s.bestEpoch} kept (${ckptName('best', s.seed)})` : ''}; seeds evaluated: ${seeds.join(', ')}`;
}

async function main(argv: string[]): Promise<number> {
  const opts = parseStartArgs(argv);
  if (opts.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const tStart = performance.now();
  const here = path.dirname(fileURLToPath(import.meta.url));
  const www = path.join(here, 'www');
  if (!fs.existsSync(path.join(www, 'start.html'))) throw new Error(`missing ${www}/start.html: run node build.mjs first`);
  const resumePlan = opts.resume ? planResume(opts.resume, opts.seeds, opts) : new Map<number, ResumeEntry>();
  makeOutDir(opts.out);
  // A resumed seed's best checkpoint so far belongs in the new output directory too (it is replaced on improvement).
  for (const [seed, r] of resumePlan) {
    const best = r.best ?? (r.meta.epoch === r.meta.bestEpoch ? r.from : null);
    const dest = path.join(opts.out, ckptName('best', seed));
    if (best && path.resolve(best) !== path.resolve(dest)) await writeFileAtomic(dest, new Uint8Array(fs.readFileSync(best)));
  }
  // Temporary files of checkpoints and results that a killed run left behind (see removeStaleTemps).
  const stale = await removeStaleTemps(opts.out, (n) => /^(best|last)-seed-?\d+\.safetensors$|^results\.json$|^report\.html$/.test(n));
  if (stale.length) console.log(`removed ${stale.length} temporary file${stale.length > 1 ? 's' : ''} left by a killed run in ${opts.out}`);
  const status = new StatusLine(!!process.stdout.isTTY);

  const server = await serveStart(www, { data: opts.data, resume: resumePlan, checkpointPath: (kind, seed) => path.join(opts.out, ckptName(kind, seed)) });
  // Ctrl-C from here on (the launch included, so no browser is left behind): the page ends training at its next step
  // and reports the best epoch so far (src/cli/start-page.ts).
  const ctrlC = { requested: false, page: null as Page | null, browser: null as LaunchedBrowser | null };
  const askPageToStop = () => void ctrlC.page?.evaluate('globalThis.webgradInterrupt?.()').catch(() => undefined);
  const removeInterrupt = onInterrupt({
    stop: () => {
      ctrlC.requested = true;
      askPageToStop();
    },
    abort: () => ctrlC.browser?.kill(),
    say: (text) => status.print(text),
  });
  const launched = (ctrlC.browser = await launchBrowser({ handleSIGINT: false }));
  try {
    const page = (ctrlC.page = await launched.browser.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String((e as Error).message ?? e)));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });

    // Budget: what this run will do, in samples.
    let sizes = { train: 0, valid: 0, test: 0 };
    let testN = 0;
    let trainMissingRate = opts.trainMissingRate ?? 0.3;
    const seedTimes: number[] = [];
    let evalSecPerPrediction: number | null = null;
    let lastProgress: { samplesPerSec: number } | null = null;
    const seedStart: number[] = [];

    let trainSecThisSeed = 0;
    const evalOneSeed = (samplesPerSec: number) =>
      (evalSecPerPrediction ?? 1 / Math.max(1e-9, 3 * samplesPerSec)) * testN * EVAL_RATES.length;
    const perSeed = (trainSec: number, samplesPerSec: number) =>
      seedTimes.length ? seedTimes.reduce((a, b) => a + b, 0) / seedTimes.length : trainSec + evalOneSeed(samplesPerSec);
    /** Seconds left in the whole run: this seed's training or evaluation, then the seeds after it. */
    const trainingEta = (seedIndex: number, seedEta: number, samplesPerSec: number) => {
      const trainSec = (performance.now() - (seedStart[seedIndex] ?? tStart)) / 1000 + seedEta;
      return seedEta + evalOneSeed(samplesPerSec) + (opts.seeds.length - seedIndex - 1) * perSeed(trainSec, samplesPerSec);
    };
    const evalEta = (seedIndex: number, left: number, samplesPerSec: number) =>
      left * (evalSecPerPrediction ?? 0) + (opts.seeds.length - seedIndex - 1) * perSeed(trainSecThisSeed, samplesPerSec);

    // The run's outcome arrives as a report message, not as page.evaluate's result: a training run takes as long as
    // it takes (hours for the paper preset on MOSEI), far beyond any DevTools-protocol call timeout.
    let settle!: { resolve: (r: StartPageResult) => void; reject: (e: Error) => void };
    const outcome = new Promise<StartPageResult>((resolve, reject) => (settle = { resolve, reject }));
    await page.exposeFunction('webgradReport', (m: StartMessage) => {
      switch (m.kind) {
        case 'finished':
          settle.resolve(m.result);
          break;
        case 'failed':
          settle.reject(new Error(m.message));
          break;
        case 'expect':
          // What this seed's checkpoints must hold: the server refuses any other upload.
          server.expectCheckpoint(m.expected);
          break;
        case 'adapter':
          status.print(`WebGPU adapter: ${describeAdapter(m.adapter)}\nbrowser: ${launched.executablePath}`);
          break;
        case 'dataset': {
          sizes = m.sizes;
          const dims = m.dims;
          if (opts.trainMissingRate === null && dims.audio.len === 500 && dims.audio.dim === 74) trainMissingRate = 0.4;
          status.print(`dataset: ${m.name}${opts.data ? ` (${opts.data})` : ''}${m.knownAs ? ` (${m.knownAs})` : ''}, train/valid/test ${sizes.train}/${sizes.valid}/${sizes.test}; ` +
            `text ${dims.text.len}×${dims.text.dim}, audio ${dims.audio.len}×${dims.audio.dim}, vision ${dims.vision.len}×${dims.vision.dim}` +
            (m.seconds ? ` (read in ${m.seconds.toFixed(1)} s)` : ''));
          for (const w of m.warnings) status.print(`warning: ${w}`);
          break;
        }
        case 'plan': {
          testN = m.testN;
          const nTrain = Math.min(opts.trainSubset ?? sizes.train, sizes.train);
          const subset = nTrain < sizes.train ? ` (a fresh random ${nTrain} of ${sizes.train} each epoch)` : '';
          const nValid = Math.min(opts.validSubset ?? sizes.valid, sizes.valid);
          const steps = Math.ceil(nTrain / opts.batchSize);
          status.print(
            `budget: ${opts.seeds.length} seed${opts.seeds.length > 1 ? 's' : ''} (${opts.seeds.join(', ')}) × ${opts.epochs} epochs × ` +
              `${nTrain} training samples${subset} = ${steps} steps of ${opts.batchSize} (${opts.epochs * steps} steps per seed), ` +
              `validation ${nValid} samples per epoch, evaluation ${EVAL_RATES.length} rates × ${testN} test samples per seed\n` +
              `training: ${opts.label}, k = ${trainMissingRate}${opts.halfComplete ? ' (half-complete per-sample rates)' : ''} ` +
              `(${opts.missingField === 'fresh' ? 'new dropped positions every epoch' : 'the same dropped positions every epoch'}), ` +
              `AdamW lr ${opts.lr}, weight decay ${opts.weightDecay} (10% warm-up, cosine), model selection by the smallest validation L_total${selectionNote(opts.model)}; output ${opts.out}`,
          );
          break;
        }
        case 'progress': {
          if (seedStart[m.seedIndex] === undefined) seedStart[m.seedIndex] = performance.now();
          lastProgress = { samplesPerSec: m.samplesPerSec };
          const eta = trainingEta(m.seedIndex, m.etaSec, m.samplesPerSec);
          status.update(
            `seed ${m.seed} (${m.seedIndex + 1}/${opts.seeds.length})  epoch ${m.epoch}/${m.epochs}  step ${m.step}/${m.stepsPerEpoch}  ` +
              `${fmtTerms(m.terms)}  lr ${m.lr.toExponential(1)}  ${m.samplesPerSec.toFixed(1)} samples/s  ETA ${fmtDuration(eta)}`,
          );
          break;
        }
        case 'epoch': {
          const v = m.validMetrics;
          status.print(
            `seed ${m.seed} epoch ${m.epoch}/${m.epochs}: train ${fmtTerms(m.train)} | valid L_total ${fmtLoss(m.valid.total)} ` +
              (m.valid.selection !== undefined ? `(without CLUB ${fmtLoss(m.valid.selection)}) ` : '') +
              `MAE ${v.mae.toFixed(3)} Corr ${Number.isNaN(v.corr) ? 'nan' : v.corr.toFixed(3)} Acc-2(Has0) ${(100 * v.acc2Has0).toFixed(1)}` +
              `${m.improved ? '  * best' : ''} | ${m.trainSeconds.toFixed(1)} s + valid ${m.validSeconds.toFixed(1)} s, ${m.samplesPerSec.toFixed(1)} samples/s`,
          );
          break;
        }
        case 'evaluating':
          trainSecThisSeed = m.trainSeconds;
          status.update(`seed ${m.seed}: evaluating ${m.rates} missing rates × ${m.testN} test samples…`);
          break;
        case 'evalProgress':
          if (m.done > 0) evalSecPerPrediction = m.elapsedSec / m.done;
          status.update(`seed ${opts.seeds[m.seedIndex]} (${m.seedIndex + 1}/${opts.seeds.length})  evaluating: ${m.done}/${m.total} predictions  ` +
            `ETA ${fmtDuration(evalEta(m.seedIndex, m.total - m.done, lastProgress?.samplesPerSec ?? 1))}`);
          break;
        case 'seedDone': {
          seedTimes.push(m.trainSeconds + m.evalSeconds);
          status.print(`seed ${m.seed}: trained in ${fmtDuration(m.trainSeconds)} (best epoch ${m.bestEpoch}), evaluated in ${fmtDuration(m.evalSeconds)}; ` +
            `best checkpoint ${path.join(opts.out, ckptName('best', m.seed))}`);
          break;
        }
      }
    });

    await page.goto(`${server.url}start.html`);
    await page.waitForFunction('globalThis.webgradMain !== undefined');
    if (ctrlC.requested) askPageToStop();
    const pageOpts: StartPageOptions = {
      token: server.secret,
      dataset: opts.dataset,
      dataUrl: opts.data ? '/data' : undefined,
      dataName: opts.data ? path.basename(opts.data) : undefined,
      model: opts.model,
      preset: opts.preset,
      ablation: opts.ablation,
      textUnk: opts.textUnk,
      seeds: opts.seeds,
      epochs: opts.epochs,
      batchSize: opts.batchSize,
      lr: opts.lr,
      weightDecay: opts.weightDecay,
      trainMissingRate: opts.trainMissingRate ?? -1, // resolved in the page from the data's dims
      halfComplete: opts.halfComplete,
      missingField: opts.missingField,
      trainSubset: opts.trainSubset ?? undefined,
      validSubset: opts.validSubset ?? undefined,
      testSubset: opts.testSubset ?? undefined,
      patience: opts.patience ?? undefined,
      rates: [...EVAL_RATES],
      maskSeed: LNLN_EVAL_SEED,
      resume: [...resumePlan.keys()],
      resumeBest: [...resumePlan.entries()].filter(([, r]) => r.best).map(([s]) => s),
    };
    for (const [seed, r] of resumePlan) status.print(`resuming seed ${seed} from ${r.from}${r.best ? ` (best so far: ${r.best})` : ''}`);
    let result: StartPageResult;
    try {
      await page.evaluate(startRunExpression(pageOpts));
      result = await Promise.race([
        outcome,
        new Promise<never>((_, reject) => {
          page.once('close', () => reject(new Error('the browser page closed during the run')));
          page.once('error', (e) => reject(new Error(`the browser page crashed: ${(e as Error).message}`)));
          launched.browser.once('disconnected', () => reject(new Error('the browser exited during the run')));
        }),
      ]);
    } catch (e) {
      status.clear();
      const lines = String((e as Error).message ?? e).split('\n');
      const msg = process.env.WEBGRAD_DEBUG ? lines.join('\n') : lines[0];
      throw new Error(`${msg}${pageErrors.length ? `\npage errors:\n${pageErrors.join('\n')}` : ''}`);
    }
    status.clear();
    const wall = (performance.now() - tStart) / 1000;

    if (result.kind === 'diverged') {
      const good = result.lastGoodEpoch !== null ? lastGoodFile(opts.out, result.seed, result.lastGoodEpoch, resumePlan) : null;
      const ck = result.lastGoodEpoch === null ? '' : good ? ` Last good checkpoint (epoch ${result.lastGoodEpoch}): ${good}` :
        ` No checkpoint file of the last good epoch (${result.lastGoodEpoch}) exists.`;
      console.error(`error: ${result.message}${ck}`);
      return 1;
    }

    const stopped = result.interrupted;
    if (stopped && !result.outcomes.length) {
      console.error(`interrupted (Ctrl-C) before the first epoch of seed ${stopped.seed} had finished: no checkpoint and nothing to report`);
      return INTERRUPTED_EXIT_CODE;
    }
    const records: RobustnessRecord[] = result.outcomes.flatMap((o) => o.rates.map((r) => ({ rate: r.rate, seed: o.seed, metrics: r.metrics })));
    const summary = summarizeRobustness(records);
    console.log('');
    console.log(formatRobustnessReport(summary, opts.label));
    const drops = summarizeConditions(result.outcomes.flatMap((o) => o.modalityDrop.map((d) => ({ condition: d.condition, seed: o.seed, metrics: d.metrics }))));
    console.log(`\n${formatConditionTable(`Whole modalities absent (L text, A audio, V vision; the others complete; mean over ${result.outcomes.length} seed${result.outcomes.length > 1 ? 's' : ''})`, drops)}`);
    const experts = result.outcomes.flatMap((o) => o.experts.map((e) => ({ seed: o.seed, ...e })));
    if (experts.length) console.log(`\n${formatExpertUsage(experts)}`);
    const c = result.constant.metrics;
    console.log(`\nconstant predictor (always ${result.constant.value.toFixed(3)}, the mean training label), every rate: ` +
      `MAE ${c.mae.toFixed(3)}, Acc-2 (Has0) ${(100 * c.acc2Has0).toFixed(2)}, Acc-2 (Non0) ${(100 * c.acc2Non0).toFixed(2)}, Acc-7 ${(100 * c.acc7).toFixed(2)}`);

    const json = {
      ...robustnessJson(summary, opts.label),
      run: {
        model: opts.model,
        ...runChoicesJson(opts),
        dataset: opts.data ? path.resolve(opts.data) : opts.dataset,
        seeds: opts.seeds,
        epochs: opts.epochs,
        batchSize: opts.batchSize,
        lr: opts.lr,
        weightDecay: opts.weightDecay,
        trainMissingRate,
        halfComplete: opts.halfComplete,
        missingField: opts.missingField,
        trainSubset: opts.trainSubset,
        validSubset: opts.validSubset,
        testSubset: opts.testSubset,
        testSamples: result.testN,
        maskSeed: LNLN_EVAL_SEED,
        wallSeconds: wall,
        browser: launched.executablePath,
        ...(stopped ? { interrupted: interruptedText(stopped, result.outcomes.map((o) => o.seed)) } : {}),
      },
      modalityDrop: drops.map((d) => ({ absent: d.condition, mean: d.mean, perSeed: d.perSeed })),
      ...(experts.length ? { experts } : {}),
      baselines: { constant: { value: result.constant.value, metrics: result.constant.metrics } },
      training: result.outcomes.map((o) => ({
        seed: o.seed, parameters: o.parameters, bestEpoch: o.bestEpoch, bestValidLoss: o.bestValidLoss, epochsRun: o.epochsRun,
        stoppedEarly: o.stoppedEarly, resumedFrom: o.resumedFrom, trainSeconds: o.trainSeconds, evalSeconds: o.evalSeconds,
        history: o.history.map((h) => ({ epoch: h.epoch, train: h.train, valid: h.valid, validMetrics: h.validMetrics, improved: h.improved,
          lr: h.lr, seconds: h.seconds, trainSeconds: h.trainSeconds, validSeconds: h.validSeconds, samplesPerSec: h.samplesPerSec })),
      })),
    };
    const jsonFile = path.join(opts.out, 'results.json');
    await writeFileAtomic(jsonFile, new TextEncoder().encode(`${JSON.stringify(json, null, 2)}\n`));
    const reportFile = path.join(opts.out, 'report.html');
    await writeFileAtomic(reportFile, new TextEncoder().encode(htmlReport(json)));
    const params = result.outcomes[0]?.parameters;
    console.log(`\nwrote ${jsonFile}, ${reportFile} (charts and tables) and best-seed<seed>.safetensors for seeds ${result.outcomes.map((o) => o.seed).join(', ')}` +
      `${params ? ` (${params.toLocaleString('en-US')} parameters)` : ''}`);
    console.log(`total wall time ${fmtDuration(wall)} (${wall.toFixed(1)} s)`);
    if (stopped) {
      console.log(`${interruptedText(stopped, result.outcomes.map((o) => o.seed))}: the report above is partial`);
      return INTERRUPTED_EXIT_CODE;
    }
    return 0;
  } finally {
    removeInterrupt();
    await launched.close();
    await server.close();
  }
}

if (isMainModule(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      if (e instanceof UsageError) console.error(`error: ${e.message} (see --help)`);
      else if (e instanceof BrowserNotFoundError) console.error(e.message);
      else console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(e instanceof UsageError ? 2 : 1);
    },
  );
}
