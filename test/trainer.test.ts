// The trainer, the robustness evaluation and the `npm start` command line: training reduces the loss, model selection
// keeps the epoch of smallest validation L_total, a NaN/Inf loss stops training with a message naming where and
// leaves the last checkpoint intact, resuming reproduces an uninterrupted run (weights and AdamW state), the
// evaluation scores ten rates, nothing leaks across epochs, and the CLI documents its flags and rejects bad ones.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from './page';
import { scenario, type ScenarioCallArgs } from './scenario';
import type { ScenarioName } from './page/scenarios';
// @ts-expect-error build.mjs is plain JavaScript
import { buildNodePrograms, NODE_PROGRAMS } from '../build.mjs';
import { parseStartArgs, UsageError, DEFAULT_EPOCHS, DERL_EPOCHS, HELP } from '../src/app/cli/start';
import { TINY_BERT_TRAINING } from '../src/app/models/text-encoder-config';
import { findModelSpec, MODEL_NAMES, MODELS } from '../src/app/models/catalog';
import { EVAL_RATES } from '../src/app/data/missing';
import { METRIC_KEYS, regressionMetrics } from '../src/app/eval/metrics';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

const run = <K extends ScenarioName>(name: K, ...args: ScenarioCallArgs<K>) => scenario(page, name, ...args);
const argmin = (xs: number[]) => xs.reduce((best, x, i) => (x < xs[best] ? i : best), 0);

describe('trainModel (LateFusion on tiny)', () => {
  it('reduces the training loss, keeps the epoch of smallest validation loss, and leaks nothing across epochs', async () => {
    // Epochs 1-4 at a normal rate, then a learning rate far too large spoils the model: the best epoch is an early one.
    const r = await run('trainLateFusion', { epochs: 7, lr: 5e-3, spoilFrom: 5, spoilLr: 0.3 });
    const h = r.history;
    console.log(
      'epochs:\n' +
        h
          .map(
            (e) =>
              `  ${e.epoch}: train ${e.train.toFixed(4)} valid ${e.valid.toFixed(4)}${e.improved ? ' *' : ''}  lr ${e.lr.toExponential(2)}  live ${e.memory.liveBuffers}`,
          )
          .join('\n'),
    );
    expect(h.length).toBe(7);
    // The probe hook ran after every epoch, on the model being trained (its validation has put it back in train mode).
    expect(r.probes).toEqual(h.map((e) => ({ epoch: e.epoch, kind: 'latefusion', training: true })));
    // Where each epoch's time went: compiling ahead in the first epoch only (inside its training steps' time), the
    // probe hook's 100 ms wait in probeSeconds, a checkpoint every epoch (saved: the trainer keeps 'best' bytes), and
    // the parts within the epoch's wall time.
    r.phases.forEach((p, i) => {
      expect(p.compileSeconds > 0).toBe(i === 0);
      expect(p.compileSeconds).toBeLessThanOrEqual(p.trainSeconds);
      expect(p.probeSeconds).toBeGreaterThanOrEqual(0.099);
      expect(p.probeSeconds).toBeLessThan(5);
      if (h[i].improved) expect(p.checkpointSeconds).toBeGreaterThan(0);
      else expect(p.checkpointSeconds).toBeLessThan(0.01); // nothing to save: no onCheckpoint hook
      expect(p.validSeconds).toBeGreaterThan(0);
      const parts = p.trainSeconds + p.validSeconds + p.probeSeconds + p.checkpointSeconds;
      expect(parts).toBeLessThanOrEqual(p.seconds + 1e-6);
      expect(parts).toBeGreaterThan(0.8 * p.seconds);
    });
    // Learning: the training loss of epoch 4 is clearly below epoch 1's.
    expect(h[3].train).toBeLessThan(0.9 * h[0].train);
    // Selection: the best epoch is the argmin of the validation losses, it is not the last one here, and the returned
    // model has exactly that epoch's weights (its validation loss measured again equals the recorded minimum).
    const valid = h.map((e) => e.valid);
    expect(r.bestEpoch).toBe(argmin(valid) + 1);
    expect(r.bestEpoch).toBeLessThan(7);
    expect(r.bestValidLoss).toBe(Math.min(...valid));
    expect(Math.abs(r.returnedValidLoss - r.bestValidLoss)).toBeLessThanOrEqual(1e-6 * Math.max(1, r.bestValidLoss));
    expect(Math.abs(r.returnedValidLoss - valid[6])).toBeGreaterThan(1e-4); // not the last epoch's weights
    expect(r.bestMeta.epoch).toBe(r.bestEpoch);
    expect(r.returnedTraining).toBe(false);
    for (const e of h) expect(e.improved).toBe(e.valid === Math.min(...valid.slice(0, e.epoch)));
    // Memory: every epoch ends with the same live buffers (the optimizer state exists from step 1 on), and the model
    // and optimizer disposed leave what was there before.
    for (const e of h) expect(e.memory.liveBuffers, `epoch ${e.epoch}`).toBe(h[0].memory.liveBuffers);
    for (const e of h) expect(e.memory.liveBytes, `epoch ${e.epoch}`).toBe(h[0].memory.liveBytes);
    expect(r.liveAfter).toBe(r.liveBefore);
    expect(r.stoppedEarly).toBe(false);

    // Early stop: with patience 2, training ends two epochs after the best one.
    const p = await run('trainLateFusion', { epochs: 7, lr: 5e-3, spoilFrom: 3, spoilLr: 0.3, patience: 2 });
    expect(p.stoppedEarly).toBe(true);
    expect(p.epochsRun).toBe(p.bestEpoch + 2);
    expect(p.history.length).toBe(p.epochsRun);
    expect(p.returnedValidLoss).toBeCloseTo(p.bestValidLoss, 6);
  });

  it('lrScales gives the parameters under a name prefix their own learning rate, recorded for resume', async () => {
    const r = await run('trainLrScales');
    const names = Object.keys(r.scales);
    expect(names.some((n) => n.startsWith('text.'))).toBe(true);
    for (const n of names) expect(r.scales[n], n).toBe(n.startsWith('text.') ? 5 : 1);
    for (const n of names) expect(r.plainScales[n], n).toBe(1);
    expect(r.textDiffers).toBe(true);
    expect(r.options.lrScales).toEqual({ 'text.': 5 });
    expect(r.error).toMatch(/RangeError: trainModel: lrScales\['text\.'\] must be a finite number > 0, got 0/);
  });

  it('stops on a NaN/Inf loss naming the epoch, step and term, and the last good checkpoint stays intact', async () => {
    const r = await run('trainDiverges', { epochs: 5, nanEpoch: 3 });
    console.log(`divergence: ${r.error?.message}`);
    expect(r.error).not.toBeNull();
    expect(r.error?.name).toBe('TrainingDiverged');
    expect(r.error?.epoch).toBe(3);
    expect(r.error?.step).toBeGreaterThanOrEqual(1);
    expect(['total', 'task']).toContain(r.error?.term);
    expect(Number.isFinite(r.error?.value)).toBe(false);
    expect(r.error?.message).toMatch(/epoch 3, step \d+/);
    expect(r.error?.message).toContain(`'${r.error?.term}'`);
    expect(r.error?.message).toMatch(/last good checkpoint is from epoch 2/);
    // Checkpoints were delivered for epochs 1 and 2 only; the last one is finite, loads, and predicts finite values.
    expect(r.checkpointEpochs).toEqual([1, 2]);
    expect(r.error?.lastGoodEpoch).toBe(2);
    expect(r.lastFinite).toBe(true);
    expect(r.errorCarriesLast).toBe(true);
    expect(r.loads).toBe(true);
    expect(r.predictionsFinite).toBe(true);
    // The failed run freed its model, optimizer and in-flight tensors.
    expect(r.liveAfterFailure).toBe(r.liveBefore);
  });

  it('resumes from a checkpoint at the saved step with identical optimizer state, reproducing the uninterrupted run', async () => {
    // DAR (small, tiny data, 2 epochs) also checks its CLUB estimators' Adam state, saved as optim@club.*.
    for (const variant of [
      {},
      { halfComplete: true, missingField: 'fresh' },
      { model: 'dar', epochs: 2, resumeAfter: 1 },
    ] as const) {
      const r = await run('trainResume', { epochs: 4, resumeAfter: 2, ...variant });
      const { epochs, resumeAfter } = { epochs: 4, resumeAfter: 2, ...variant };
      console.log(
        `resume ${JSON.stringify(variant)}: final max |Δ| ${r.final.maxDiff} over ${r.final.tensors} tensors ` +
          `(${r.final.optimizerTensors} optimizer state), best epochs ${r.bestEpochs}`,
      );
      expect(r.resumedFrom).toBe(resumeAfter);
      expect(r.epochsB).toEqual(Array.from({ length: epochs - resumeAfter }, (_, i) => resumeAfter + 1 + i));
      expect(r.firstGlobalStep).toBe(resumeAfter * r.stepsPerEpoch);
      // Every parameter's AdamW step count right after loading is the saved step.
      expect(r.stepsAtResume.length).toBeGreaterThan(0);
      for (const s of r.stepsAtResume) expect(s).toBe(resumeAfter * r.stepsPerEpoch);
      expect(r.lastEpochs).toEqual([epochs, epochs]);
      expect(r.final.optimizerTensors).toBeGreaterThan(0);
      if ('model' in variant) expect(r.final.auxiliaryTensors).toBeGreaterThan(0);
      expect(r.final.missing).toBe(0);
      expect(r.final.maxDiff).toBe(0);
      expect(r.final.sameMetadata).toBe(true);
      expect(r.validB).toEqual(r.validA.slice(resumeAfter));
      expect(r.bestEpochs[1]).toBe(r.bestEpochs[0]);
      expect(r.best.maxDiff).toBe(0);
    }
  });
});

describe('evaluateModalityDrop', () => {
  it('scores the six whole-modality-absent conditions exactly as predicting with those modalities as null', async () => {
    const r = await run('evaluateDropTiny', {});
    expect(r.labels).toEqual(['L', 'A', 'V', 'L+A', 'L+V', 'A+V']);
    expect(r.n).toEqual(r.labels.map(() => 32));
    r.labels.forEach((label: string, i: number) => expect(r.metrics[i], label).toEqual(r.viaApi[label]));
    // The conditions are really different inputs: not all six MAEs coincide.
    expect(new Set(r.metrics.map((m) => m.mae)).size).toBeGreaterThan(1);
    expect(r.leaked).toBe(0);
  });
});

describe('evaluateRobustness', () => {
  it('scores the test split at the ten LNLN rates with MMSA metrics, leaking nothing', async () => {
    const r = await run('evaluateTiny', {});
    expect(r.rates).toEqual([...EVAL_RATES]);
    expect(r.n).toEqual(EVAL_RATES.map(() => 32));
    expect(r.metrics.length).toBe(10);
    for (const m of r.metrics) for (const k of METRIC_KEYS) expect(typeof m[k]).toBe('number');
    for (const m of r.metrics) expect(Number.isFinite(m.mae)).toBe(true);
    // Rate 0 drops nothing: the predictions are those on the complete inputs (batch size does not matter).
    for (let i = 0; i < r.preds0.length; i++) expect(Math.abs(r.preds0[i] - r.direct0[i])).toBeLessThanOrEqual(1e-5);
    // The metrics are MMSA's of those predictions (recomputed here in Node).
    expect(r.metrics[0]).toEqual(regressionMetrics(Float32Array.from(r.preds0), Float32Array.from(r.labels)));
    expect(r.metrics[9]).toEqual(regressionMetrics(Float32Array.from(r.preds9), Float32Array.from(r.labels)));
    // Missing data changes the predictions; the same rates with another batch size give the same metrics.
    expect(r.preds9.some((p: number, i: number) => Math.abs(p - r.preds0[i]) > 1e-4)).toBe(true);
    expect(r.againMetrics[0]).toEqual(r.metrics[9]);
    expect(r.againMetrics[1]).toEqual(r.metrics[0]);
    expect(r.liveAfter).toBe(r.liveBefore);
    // The constant predictor: the mean training label everywhere.
    expect(r.constant.metrics.corr ?? NaN).toBeNaN(); // NaN arrives as null through the page boundary
    expect(r.constant.metrics.mae).toBeGreaterThan(0);
  });

  it("ends with the error of a progress hook that throws (the demo's Stop), leaving no rejection unhandled", async () => {
    const r = await run('evaluateHookThrows');
    expect(r.error).toBe('stop requested by the hook');
    // The readback in flight when the hook first threw still finishes (and calls the hook) before the evaluation ends.
    expect(r.calls).toBeGreaterThanOrEqual(1);
    expect(r.calls).toBeLessThanOrEqual(2);
    expect(r.rejections).toEqual([]);
  });
});

describe('trainModel with DAR (small preset)', () => {
  it('runs the CLUB auxiliary step and every loss term, keeps memory flat and checkpoints all parameters', async () => {
    const r = await run('trainDarTiny', { epochs: 3 });
    const h = r.history;
    console.log(
      `DAR tiny: terms ${r.terms.join(', ')}; ` +
        h
          .map(
            (e) =>
              `epoch ${e.epoch} train ${e.train.toFixed(3)} valid ${e.valid.toFixed(3)} live ${e.memory.liveBuffers}`,
          )
          .join('; '),
    );
    expect(r.terms).toEqual(expect.arrayContaining(['total', 'task', 'club_ll']));
    expect(r.progress).toBeGreaterThan(0);
    for (const e of h) expect(Number.isFinite(e.train) && Number.isFinite(e.valid)).toBe(true);
    // The CLUB optimizer's state is made on the first step; from then on every epoch ends at the same memory.
    expect(h[2].memory.liveBuffers).toBe(h[1].memory.liveBuffers);
    expect(h[2].memory.liveBytes).toBe(h[1].memory.liveBytes);
    expect(h[0].memory.liveBuffers).toBe(h[1].memory.liveBuffers);
    expect(r.evals.every(Number.isFinite)).toBe(true);
    expect(r.meta.model).toBe('dar');
    expect(r.hasClubParams).toBe(true);
    expect(r.hasOptimizerState).toBe(true);
    // Model selection compares L_total without the CLUB term α·λ·L_diff (DarConfig.selection), and keeps its argmin.
    const sel = r.validTerms.map((v: Record<string, number>) => v.selection);
    r.validTerms.forEach((v: Record<string, number>) => {
      expect(Number.isFinite(v.diff)).toBe(true);
      expect(Math.abs(v.selection - (v.total - r.weights.alpha * r.weights.lambda * v.diff))).toBeLessThanOrEqual(
        1e-9 * Math.max(1, Math.abs(v.total)),
      );
    });
    expect(r.bestEpoch).toBe(argmin(sel) + 1);
  });
});

describe('npm start command line', () => {
  it('parses flags with defaults and rejects bad values with one-line messages', () => {
    const d = parseStartArgs([]);
    expect(d).toMatchObject({
      dataset: 'synthetic-mosi',
      model: 'dar',
      preset: 'small',
      seeds: [1111, 1112, 1113],
      epochs: DEFAULT_EPOCHS,
      batchSize: 32,
      trainMissingRate: null,
      data: null,
      resume: null,
      trainSubset: null,
      weightDecay: 1e-4,
      missingField: 'fresh',
    });
    expect(parseStartArgs(['--train-subset', 'all']).trainSubset).toBeNull();
    expect(parseStartArgs(['--train-subset', '640']).trainSubset).toBe(640);
    expect(d.out).toMatch(/^runs[/\\]\d{8}-\d{6}$/);
    const o = parseStartArgs([
      '--model',
      'latefusion',
      '--seeds',
      '1,2',
      '--epochs',
      '3',
      '--train-missing-rate',
      '0',
      '--lr',
      '1e-3',
      '--out',
      'x',
      '--weight-decay',
      '0',
      '--train-subset',
      '100',
      '--half-complete',
      '--missing-field',
      'fixed',
      '--batch-size',
      '8',
    ]);
    expect(o).toMatchObject({
      model: 'latefusion',
      seeds: [1, 2],
      epochs: 3,
      trainMissingRate: 0,
      lr: 1e-3,
      out: 'x',
      weightDecay: 0,
      trainSubset: 100,
      halfComplete: true,
      missingField: 'fixed',
      batchSize: 8,
    });
    expect(parseStartArgs(['--preset', 'paper'])).toMatchObject({ epochs: 200, trainSubset: null, lr: 1e-4 });
    expect(parseStartArgs(['--ablation', 'noRecon', '--text-unk', 'learned']).label).toBe(
      'DAR (small, noRecon, learned [UNK], BERT)',
    );
    // The text branch: BERT on token ids by default on synthetic data; features on request; frozen; paper needs --bert.
    expect(d).toMatchObject({ textEncoder: 'bert', bert: null, label: 'DAR (small, BERT)' });
    expect(parseStartArgs(['--text-encoder', 'features'])).toMatchObject({
      textEncoder: 'features',
      label: 'DAR (small)',
    });
    expect(parseStartArgs(['--bert-frozen'])).toMatchObject({
      textEncoder: 'bert-frozen',
      label: 'DAR (small, frozen BERT)',
    });
    expect(parseStartArgs(['--preset', 'paper']).textEncoder).toBe('features');
    const textBad: [string[], RegExp][] = [
      [['--text-encoder', 'features', '--bert-frozen'], /--bert-frozen needs --text-encoder bert/],
      [['--preset', 'paper', '--text-encoder', 'bert'], /--preset paper with --text-encoder bert needs --bert/],
      [['--bert', '/nonexistent/bert'], /--bert: .*config\.json does not exist/],
      [['--text-encoder', 'gpt'], /--text-encoder must be one of features, bert/],
      [['--model', 'latefusion', '--bert-frozen'], /--text-encoder apply to --model dar and derl only/],
    ];
    for (const [argv, msg] of textBad) expect(() => parseStartArgs(argv), argv.join(' ')).toThrow(msg);
    // The tiny BERT's own lr and masked-LM pre-training (TINY_BERT_TRAINING by default); none without a tiny BERT.
    expect(d).toMatchObject({
      bertLrScale: TINY_BERT_TRAINING.lrScale,
      bertPretrainSteps: TINY_BERT_TRAINING.pretrainSteps,
    });
    expect(parseStartArgs(['--bert-lr-scale', '30', '--bert-pretrain-steps', '0'])).toMatchObject({
      bertLrScale: 30,
      bertPretrainSteps: 0,
    });
    for (const argv of [['--text-encoder', 'features'], ['--bert-frozen'], ['--model', 'latefusion']])
      expect(parseStartArgs(argv), argv.join(' ')).toMatchObject({ bertLrScale: 1, bertPretrainSteps: 0 });
    for (const [argv, msg] of [
      [['--bert-lr-scale', '0'], /--bert-lr-scale must be a number > 0; got '0'/],
      [['--bert-lr-scale', 'x'], /--bert-lr-scale must be a number > 0/],
      [['--bert-lr-scale', '3', '--bert-frozen'], /--bert-lr-scale needs a fine-tuned BERT/],
      [['--bert-lr-scale', '3', '--text-encoder', 'features'], /--bert-lr-scale needs a fine-tuned BERT/],
      [['--bert-lr-scale', '3', '--model', 'latefusion'], /--bert-lr-scale needs a fine-tuned BERT/],
      [['--bert-pretrain-steps=-1'], /--bert-pretrain-steps must be an integer ≥ 0/],
      [['--bert-pretrain-steps', '5', '--text-encoder', 'features'], /--bert-pretrain-steps pre-trains the tiny BERT/],
    ] as [string[], RegExp][])
      expect(() => parseStartArgs(argv), argv.join(' ')).toThrow(msg);
    // synthetic-mosi's shared content: the data's default (0) unless asked for; synthetic data only.
    expect(d.sharedContent).toBeNull();
    expect(parseStartArgs(['--shared-content', '8']).sharedContent).toBe(8);
    expect(parseStartArgs(['--shared-content', '0', '--dataset', 'tiny']).sharedContent).toBe(0);
    for (const [argv, msg] of [
      [['--shared-content', '33'], /--shared-content must be an integer in 0…32/],
      [['--shared-content=-1'], /--shared-content must be an integer ≥ 0/],
      [['--shared-content', '2.5'], /--shared-content must be an integer ≥ 0/],
      [['--shared-content', '8', '--data', 'package.json'], /--shared-content is for synthetic-mosi, not --data/],
    ] as [string[], RegExp][])
      expect(() => parseStartArgs(argv), argv.join(' ')).toThrow(msg);
    expect(parseStartArgs(['--model', 'derl'])).toMatchObject({
      model: 'derl',
      preset: 'small',
      epochs: DERL_EPOCHS,
      label: 'DERL (small, BERT)',
    });
    expect(parseStartArgs(['--model', 'derl', '--preset', 'paper'])).toMatchObject({
      epochs: 200,
      lr: 1e-4,
      label: 'DERL (paper)',
    });
    const bad: [string[], RegExp][] = [
      [['--epochs', '0'], /--epochs must be an integer ≥ 1; got '0'/],
      [['--epochs', 'ten'], /--epochs must be an integer/],
      [['--seeds', '1111,x'], /--seeds must be comma-separated integers/],
      [['--seeds', '1,1'], /repeated seed/],
      [['--train-missing-rate', '1'], /--train-missing-rate must be a number in \[0, 1\); got '1'/],
      [['--train-missing-rate', '-0.1'], /--train-missing-rate/],
      [['--model', 'lnln'], /--model must be one of dar, latefusion, derl; got 'lnln'/],
      [['--dataset', 'mosi'], /--dataset must be one of synthetic-mosi, tiny/],
      [['--preset', 'big'], /--preset must be one of small, paper/],
      [['--lr', '0'], /--lr must be a number > 0/],
      [['--weight-decay', '-1'], /--weight-decay/],
      [['--missing-field', 'new'], /--missing-field must be one of fixed, fresh/],
      [['--data', 'test/fixtures/mmsa_tiny.pkl', '--dataset', 'tiny'], /exclude each other/],
      [['--batch-size', '2.5'], /--batch-size must be an integer/],
      [['--data', '/nonexistent/unaligned_50.pkl'], /--data: no such file/],
      [['--resume', '/nonexistent/ckpt'], /--resume: no such file or directory/],
      [['--bogus'], /Unknown option '--bogus'/],
      [['--ablation', 'noFoo'], /--ablation must be one of full, noSim, noDiff, noSimDiff, noRecon, noBoot/],
      [['--model', 'latefusion', '--text-unk', 'learned'], /apply to --model dar and derl only/],
      [['--model', 'derl', '--ablation', 'noSim'], /--ablation applies to --model dar only/],
      [['extra'], /positional/],
      [['--epochs'], /^--epochs needs a value$/],
      [['--epochs', '-3'], /^--epochs: write a value starting with '-' as --epochs=<value>$/],
      [['--epochs=-3'], /--epochs must be an integer ≥ 1; got '-3'/],
    ];
    for (const [argv, msg] of bad) {
      let err: unknown = null;
      try {
        parseStartArgs(argv);
      } catch (e) {
        err = e;
      }
      expect(err, argv.join(' ')).toBeInstanceOf(UsageError);
      expect((err as Error).message, argv.join(' ')).toMatch(msg);
      expect((err as Error).message.includes('\n'), argv.join(' ')).toBe(false);
    }
  });

  it("takes every model of the catalog by its name, with the catalog's defaults and label, and only the choices it takes", () => {
    for (const spec of MODELS) {
      // On synthetic data the small models read BERT on token ids by default (late fusion reads features only).
      const textEncoder = spec.takes.includes('textEncoder') ? 'bert' : 'features';
      const defaults = { preset: 'small', ablation: 'full', textUnk: 'zero', textEncoder } as const;
      const o = parseStartArgs(['--model', spec.name]);
      expect(o, spec.name).toMatchObject({
        model: spec.name,
        epochs: spec.epochs('small'),
        lr: spec.lr('small'),
        label: spec.label(defaults),
        textEncoder,
      });
      expect(findModelSpec(spec.name), `${spec.name} finds its entry`).toBe(spec);
      const flags = {
        preset: ['--preset', 'paper'],
        ablation: ['--ablation', 'noSim'],
        textUnk: ['--text-unk', 'learned'],
        textEncoder: ['--text-encoder', 'features'],
      } as const;
      for (const [choice, argv] of Object.entries(flags)) {
        if (spec.takes.includes(choice as keyof typeof flags))
          expect(() => parseStartArgs(['--model', spec.name, ...argv])).not.toThrow();
        else
          expect(() => parseStartArgs(['--model', spec.name, ...argv]), `${spec.name} ${argv[0]}`).toThrow(
            /appl(y|ies) to --model/,
          );
      }
    }
    expect(new Set(MODEL_NAMES).size).toBe(MODELS.length);
  });

  it('the built program prints --help and exits 2 with one line on a bad flag', async () => {
    const dir = path.join(process.cwd(), 'test', 'artifacts', `start-cli-${process.pid}`);
    await buildNodePrograms(dir, { start: NODE_PROGRAMS.start });
    try {
      const help = spawnSync(process.execPath, [path.join(dir, 'start.mjs'), '--help'], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(help.status).toBe(0);
      expect(help.stdout).toBe(HELP);
      for (const flag of [
        '--data',
        '--dataset',
        '--model',
        '--preset',
        '--epochs',
        '--seeds',
        '--train-missing-rate',
        '--out',
        '--resume',
        '--batch-size',
        '--lr',
        '--help',
        'compare.mjs',
      ]) {
        expect(help.stdout).toContain(flag);
      }
      const bad = spawnSync(process.execPath, [path.join(dir, 'start.mjs'), '--epochs=-3'], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(bad.status).toBe(2);
      expect(bad.stdout).toBe('');
      expect(bad.stderr.trim().split('\n')).toEqual(["error: --epochs must be an integer ≥ 1; got '-3' (see --help)"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
