// `npm start`'s command line: the help text, the options and their parsing. Every check that can be made before a
// browser starts is made here, with a one-line UsageError.

import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MODEL_NAMES, MODELS, modelSpec, type ModelName, type ModelSpec, type RunChoices } from '../models/catalog';
import { DAR_ABLATIONS } from '../models/dar/config';
import { TINY_BERT_TRAINING } from '../models/text-encoder-config';

export const HELP = `Usage: npm start -- [options]

Trains DAR (the 'small' preset by default) on synthetic-mosi, entirely on WebGPU in headless Chrome/Chromium, with
3 seeds; evaluates each trained model on the test set at missing rates 0.0-0.9 (LNLN's protocol, mask seed 1111);
prints the paper's Table 1 row (Acc-2 and F1 with Has0 / Non0 spelled out) and the per-rate table; writes
results.json and the checkpoints (safetensors) into the output directory.

Data and model:
  --data <path>               an MMSA feature file (unaligned_50.pkl of MOSI or MOSEI) instead of synthetic data
  --dataset <name>            synthetic-mosi (default; MOSI's shapes and split sizes) or tiny (48/16/32 samples)
  --shared-content <K>        synthetic-mosi's shared content u in R^K, seen by every modality (default 0: none, the
                              data every published number was measured on; 8: the L_sim measurements' data)
  --model <name>              dar (default), derl (mixture of disentangled experts) or latefusion (the plain
                              late-fusion baseline)
  --preset <name>             DAR/DERL size: small (default; d = 32, depth 1) or paper (d = 128, LNLN-sized blocks)
  --ablation <name>           DAR's Table 2 variants: full (default), noSim, noDiff, noSimDiff, noRecon, noBoot
  --text-unk <mode>           DAR/DERL's dropped text tokens: zero (default; the zeroed feature vectors) or learned (a
                              learned [UNK] vector where a token was dropped)
  --text-encoder <name>       DAR/DERL's text branch: bert (LNLN's protocol: dropped token ids become [UNK] and BERT
                              encodes the corrupted and the complete ids every step; the default with synthetic data
                              or --bert) or features (the precomputed text features, dropped tokens zeroed; the
                              default for --data without --bert)
  --bert <folder>             a Hugging Face BERT folder (config.json + model.safetensors, e.g. bert-base-uncased) to
                              fine-tune; without it the small presets train a tiny BERT (1 layer, hidden 32) from
                              scratch (the paper preset needs it)
  --bert-frozen               keep BERT's weights fixed (LNLN fine-tunes them, at the run's --lr: 1e-4 for paper)
  --bert-lr-scale <x>         BERT's learning rate as a multiple of --lr, in an AdamW group of its own (default: the
                              tiny BERT's TINY_BERT_TRAINING; 1 with --bert, LNLN's single group)
  --bert-pretrain-steps <n>   masked-language-model steps on the training split's ids that pre-train the tiny BERT
                              once per run, before any seed (default: TINY_BERT_TRAINING; 0: none; not with --bert)

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
  --patience <n>              early stop after n epochs without a better validation loss (default: never)
  --train-subset <n|all>      train on a fresh random subset of n training samples each epoch (default all)
  --valid-subset <n>          validate on the first n validation samples (default: all)
  --test-subset <n>           evaluate on the first n test samples (default: all)

Runtime:
  --runtime <name>            browser (default: headless Chrome/Chromium) or node (Dawn, the optional 'webgpu'
                              package, in a Node worker thread; no browser at all)

Output:
  --out <dir>                 output directory (default runs/<timestamp>)
  --resume <path>             continue from a checkpoint file (its seed) or a previous output directory (every seed
                              with a last-seed<seed>.safetensors there); options must match the original run
  --label <text>              the method's name in the tables (default DAR (small) / late fusion)
  -h, --help                  show this help

To check that DAR beats a constant predictor and late fusion at every missing rate, and beats DAR trained on
complete data (k = 0), run three trainings and compare them, about 12 minutes in all (the constant predictor is in
every run's results.json):
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
  /** synthetic-mosi's `sharedContent` K (--shared-content), or null for the data's default. */
  sharedContent: number | null;
  model: ModelName;
  preset: RunChoices['preset'];
  ablation: RunChoices['ablation'];
  textUnk: RunChoices['textUnk'];
  textEncoder: RunChoices['textEncoder'];
  /** The BERT folder (--bert), or null. */
  bert: string | null;
  /** BERT's lr as a multiple of `lr` (--bert-lr-scale; 1 when there is no fine-tuned BERT). */
  bertLrScale: number;
  /** Masked-LM pre-training steps of the tiny BERT before training (--bert-pretrain-steps; 0: none). */
  bertPretrainSteps: number;
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
  /** Where the page program runs: headless Chrome/Chromium, or a Node worker thread on Dawn. */
  runtime: 'browser' | 'node';
  help: boolean;
}

const OPTIONS = {
  data: { type: 'string' },
  dataset: { type: 'string' },
  'shared-content': { type: 'string' },
  model: { type: 'string' },
  preset: { type: 'string' },
  ablation: { type: 'string' },
  'text-unk': { type: 'string' },
  'text-encoder': { type: 'string' },
  bert: { type: 'string' },
  'bert-frozen': { type: 'boolean' },
  'bert-lr-scale': { type: 'string' },
  'bert-pretrain-steps': { type: 'string' },
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
  runtime: { type: 'string' },
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
    if (flag && /ambiguous/.test(msg))
      throw new UsageError(`${flag}: write a value starting with '-' as ${flag}=<value>`);
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
    if (v.trim() === '' || !Number.isInteger(n) || n < min)
      throw new UsageError(`--${flag} must be an integer ≥ ${min}; got '${v}'`);
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
    if (str('dataset') !== undefined)
      throw new UsageError('--data and --dataset exclude each other (--data reads an MMSA file)');
    if (!fs.existsSync(data)) throw new UsageError(`--data: no such file: ${data}`);
    if (!fs.statSync(data).isFile()) throw new UsageError(`--data: not a file: ${data}`);
  }
  const dataset = data !== null ? 'mmsa' : choice('dataset', ['synthetic-mosi', 'tiny'] as const, 'synthetic-mosi');
  const sharedContent = int('shared-content', 0);
  if (sharedContent !== null && data !== null)
    throw new UsageError('--shared-content is for synthetic-mosi, not --data');
  if (sharedContent !== null && sharedContent > 32)
    throw new UsageError(`--shared-content must be an integer in 0…32; got '${sharedContent}'`);
  const model = choice('model', MODEL_NAMES, 'dar');
  const spec = modelSpec(model);
  const preset = choice('preset', ['small', 'paper'] as const, 'small');
  const ablation = choice('ablation', DAR_ABLATIONS, 'full');
  const textUnk = choice('text-unk', ['zero', 'learned'] as const, 'zero');
  const bert = str('bert') ?? null;
  if (bert !== null) {
    for (const f of ['config.json', 'model.safetensors']) {
      if (!fs.existsSync(path.join(bert, f))) throw new UsageError(`--bert: ${path.join(bert, f)} does not exist`);
    }
  }
  // BERT on token ids where a BERT can be had: supplied (--bert), or a tiny one trained from scratch on synthetic ids.
  const bertByDefault = bert !== null || (data === null && preset === 'small');
  const encoder = choice('text-encoder', ['features', 'bert'] as const, bertByDefault ? 'bert' : 'features');
  const frozen = values['bert-frozen'] === true;
  if (encoder === 'features' && (bert !== null || frozen))
    throw new UsageError(`${bert !== null ? '--bert' : '--bert-frozen'} needs --text-encoder bert`);
  if (encoder === 'bert' && preset === 'paper' && bert === null)
    throw new UsageError('--preset paper with --text-encoder bert needs --bert <folder> (a bert-base-uncased)');
  const textEncoder: RunChoices['textEncoder'] = encoder === 'features' ? 'features' : frozen ? 'bert-frozen' : 'bert';
  // How the tiny from-scratch BERT trains (docs/decisions/bert.md); a supplied one is fine-tuned as LNLN does.
  const withBert = encoder === 'bert' && spec.takes.includes('textEncoder');
  const scratch = withBert && bert === null;
  const bertLrScale = num('bert-lr-scale', (x) => x > 0, 'a number > 0');
  if (bertLrScale !== null && (!withBert || frozen))
    throw new UsageError('--bert-lr-scale needs a fine-tuned BERT (--text-encoder bert, without --bert-frozen)');
  const bertPretrainSteps = int('bert-pretrain-steps', 0);
  if (bertPretrainSteps && !scratch)
    throw new UsageError(
      '--bert-pretrain-steps pre-trains the tiny BERT of --text-encoder bert, not a supplied --bert',
    );
  // --preset counts as set when given at all (it sizes the model); the others when they differ from their default.
  checkChoicesApply(spec, {
    preset: str('preset') !== undefined,
    ablation: ablation !== 'full',
    textUnk: textUnk !== 'zero',
    textEncoder: str('text-encoder') !== undefined || bert !== null || frozen,
  });
  const seedsText = str('seeds') ?? '1111,1112,1113';
  const seeds = seedsText.split(',').map((s) => s.trim());
  for (const s of seeds) {
    if (!/^-?\d+$/.test(s) || !Number.isSafeInteger(Number(s)))
      throw new UsageError(`--seeds must be comma-separated integers; got '${seedsText}'`);
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
    sharedContent,
    model,
    preset,
    ablation,
    textUnk,
    // latefusion reads no text encoder: its runs record 'features' (what it reads).
    textEncoder: spec.takes.includes('textEncoder') ? textEncoder : 'features',
    bert,
    bertLrScale: !withBert || frozen ? 1 : (bertLrScale ?? (scratch ? TINY_BERT_TRAINING.lrScale : 1)),
    bertPretrainSteps: scratch ? (bertPretrainSteps ?? TINY_BERT_TRAINING.pretrainSteps) : 0,
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
    label: str('label') ?? spec.label({ preset, ablation, textUnk, textEncoder }),
    runtime: choice('runtime', ['browser', 'node'] as const, 'browser'),
    help: values.help === true,
  };
}

export { DEFAULT_EPOCHS, DERL_EPOCHS } from '../models/catalog';

const FLAGS: Record<keyof RunChoices, string> = {
  preset: '--preset',
  ablation: '--ablation',
  textUnk: '--text-unk',
  textEncoder: '--text-encoder',
};

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
