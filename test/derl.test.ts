// DERL (src/app/models/derl): PyTorch parity on a committed fixture (two configs), the step time of the small preset,
// predict() on incomplete input, a checkpoint round trip, router statistics, no leaks, bad input, and a short training
// on the tiny synthetic data that lowers the loss without collapsing the routers.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from './page';
import { scenario, type ScenarioCallArgs } from './scenario';
import type { ScenarioName } from './page/scenarios';
import { maxAbs, relErr } from './model-parity';
import { readSafetensors } from '../src/engine/io/safetensors';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

const run = <K extends ScenarioName>(name: K, ...args: ScenarioCallArgs<K>) => scenario(page, name, ...args);
const MOSI = { text: { len: 50, dim: 768 }, audio: { len: 375, dim: 5 }, vision: { len: 500, dim: 20 } };
const TINY = { text: { len: 6, dim: 10 }, audio: { len: 5, dim: 3 }, vision: { len: 7, dim: 4 } };
const ALL_TERMS = ['aux', 'balance', 'consist', 'orth', 'recon_feat', 'recon_input', 'task'];

const sumOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('DERL', () => {
  it('matches the PyTorch reference (test/torch-reference/derl.py): total, every term, gates and every gradient at rel. error ≤ 1e-3', async () => {
    const bytes = readFileSync(join(__dirname, 'fixtures', 'derl_tiny.safetensors'));
    const { tensors, metadata } = readSafetensors(new Uint8Array(bytes));
    const cases = JSON.parse(metadata.cases) as { name: string }[];
    expect(cases.map((c) => c.name)).toEqual(['soft', 'topk']);
    const report: string[] = [];
    for (const { name } of cases) {
      const r = await run('derlParity', { b64: bytes.toString('base64'), name });
      expect(r.kind).toBe('derl');
      expect(r.missing).toEqual([]);
      expect(r.unused).toEqual([]);
      const terms = JSON.parse(metadata[`${name}.terms`]) as Record<string, number>;
      expect(Object.keys(r.terms).sort()).toEqual(Object.keys(terms).sort());
      expect(Object.keys(terms).sort()).toEqual(ALL_TERMS);
      const scalar = (k: string, got: number, want: number) => {
        const e = Math.abs(got - want) / Math.max(Math.abs(want), 1e-3);
        report.push(
          `${name.padEnd(5)} ${k.padEnd(12)} ${got.toPrecision(8).padStart(14)} ${want.toPrecision(8).padStart(14)}  ${e.toExponential(2)}`,
        );
        expect(e, `${name}: ${k}`).toBeLessThanOrEqual(1e-3);
      };
      scalar('total', r.total, JSON.parse(metadata[`${name}.total`]));
      for (const [k, v] of Object.entries(terms)) scalar(k, r.terms[k], v);
      const pred = JSON.parse(metadata[`${name}.pred`]);
      expect(relErr(r.pred, pred)).toBeLessThanOrEqual(1e-3);
      expect(relErr(r.predicted, pred)).toBeLessThanOrEqual(1e-3); //    predict() = the training path's ŷ
      expect(relErr(r.gatesP, tensors.get(`${name}.gates_p`)!.data)).toBeLessThanOrEqual(1e-3);
      expect(relErr(r.gatesS, tensors.get(`${name}.gates_s`)!.data)).toBeLessThanOrEqual(1e-3);
      expect(relErr(r.importance, tensors.get(`${name}.importance`)!.data)).toBeLessThanOrEqual(1e-3);
      if (name === 'topk') {
        // Top-2 of 4 shared and of 3 private experts: exactly two non-zero gates per router row.
        for (const [g, K] of [
          [r.gatesS, 4],
          [r.gatesP, 3],
        ] as [number[], number][]) {
          for (let i = 0; i < g.length; i += K) expect(g.slice(i, i + K).filter((v) => v > 0).length).toBe(2);
        }
      }
      const params = [...tensors.keys()]
        .filter((k) => k.startsWith(`${name}.grad.`))
        .map((k) => k.slice(name.length + 6));
      expect(Object.keys(r.grads).sort()).toEqual([...params].sort());
      const floor = 1e-3 * Math.max(...params.map((n) => maxAbs(tensors.get(`${name}.grad.${n}`)!.data)));
      let worst = ['', 0] as [string, number];
      const bad: string[] = [];
      for (const n of params) {
        const want = tensors.get(`${name}.grad.${n}`)!.data;
        expect(r.grads[n], `${name}: ${n} has a gradient`).not.toBeNull();
        const e = relErr(r.grads[n]!, want, floor);
        if (e > worst[1]) worst = [n, e];
        if (e > 1e-3) bad.push(`${n}: ${e.toExponential(2)}`);
      }
      expect(bad, `${name}: gradients off by more than 1e-3`).toEqual([]);
      report.push(`${name}: ${params.length} gradients, worst rel. error ${worst[1].toExponential(2)} (${worst[0]})`);
    }
    console.log(`DERL parity (webgrad vs torch float64):\n${report.join('\n')}`);
  });

  it('shapes and terms on MOSI shapes; time of one training step (small preset, batch 32)', async () => {
    const r = await run('derlStepTime', { preset: 'small', dims: MOSI, B: 32, steps: 4, seed: 1 });
    expect(r.predShape).toEqual([32, 1]);
    expect(Object.keys(r.terms).sort()).toEqual(ALL_TERMS);
    for (const v of [r.total, ...Object.values(r.terms)]) expect(Number.isFinite(v as number)).toBe(true);
    const m = r.median;
    console.log(
      `DERL small on MOSI shapes: ${r.parameters} parameters; B = 32: step ${m.step.toFixed(0)} ms (forward ${m.forward.toFixed(0)}, ` +
        `backward ${m.backward.toFixed(0)}, AdamW ${m.optim.toFixed(0)}); predict ${m.predict.toFixed(0)} ms; dispatches forward ` +
        `${r.dispatches.forward}, backward ${r.dispatches.backward}, AdamW ${r.dispatches.optim}, predict ${r.dispatches.predict}; ` +
        `all steps ${r.steps.map((x: number) => x.toFixed(0)).join('/')} ms`,
    );
    // The paper preset builds and trains too (batch 4, not timed against anything).
    const p = await run('derlStepTime', { preset: 'paper', dims: MOSI, B: 4, steps: 2, seed: 1 });
    expect(p.predShape).toEqual([4, 1]);
    for (const v of [p.total, ...Object.values(p.terms)]) expect(Number.isFinite(v as number)).toBe(true);
    console.log(`DERL paper preset: ${p.parameters} parameters; B = 4: step ${p.median.step.toFixed(0)} ms`);
  });

  it('predict() works with dropped frames and with whole modalities missing, matches the training path, records no tape, leaks nothing', async () => {
    const B = 5;
    const r = await run('derlPredict', { dims: TINY, B, seed: 9 });
    const names = [
      'complete',
      'corrupted',
      'corruptedNoMask',
      'noText',
      'noAudio',
      'noVision',
      'textOnly',
      'audioOnly',
      'visionOnly',
      'allZero',
    ];
    for (const name of names) {
      const c = r.predictions[name];
      expect(c.shape, name).toEqual([B, 1]);
      for (const v of c.values) expect(Number.isFinite(v), name).toBe(true);
      expect(c.requiresGrad, name).toBe(false);
      expect(c.liveAfter, `${name}: live buffers besides the prediction`).toBe(1);
    }
    expect(relErr(r.lossesPred, r.predictions.corrupted.values)).toBeLessThanOrEqual(1e-5);
    expect(relErr(r.predictions.corrupted.values, r.predictions.corruptedNoMask.values)).toBeGreaterThan(1e-4); // the learned [UNK] is used
    for (const name of names.slice(3))
      expect(relErr(r.predictions[name].values, r.predictions.complete.values), name).toBeGreaterThan(1e-4);
  });

  it('a checkpoint round trip (src/app/io/checkpoint.ts) reproduces predictions and the next training step exactly', async () => {
    const r = await run('derlCheckpoint', { dims: TINY, B: 6, seed: 4 });
    expect(relErr(r.otherBefore, r.before)).toBeGreaterThan(1e-3); //   a different seed predicts differently ...
    expect(r.after).toEqual(r.before); //                                 ... until the checkpoint is loaded
    expect(r.stepB).toEqual(r.stepA); //                                  the AdamW state came along
    expect(r.meta).toEqual({ kind: 'derl' });
    expect(r.wrongError).toMatch(/CheckpointError/);
    expect(r.wrongError).toMatch(/shared_experts|router_s/);
    // Checkpoint keys are the PyTorch reference's state_dict keys.
    for (const prefix of [
      'align.l.conv.weight',
      'embed.pos_embedding',
      'router_p.weight',
      'router_s.bias',
      'private_experts.fc1.weight',
      'shared_experts.fc2.bias',
      'importance.fc.weight',
      'importance.score.weight',
      'head.fc1.weight',
      'aux_heads.fc2.bias',
      'dec_feat.fc1.weight',
      'dec_input.a.mlp.fc1.weight',
      'dec_input.v.conv.weight',
    ]) {
      expect(r.names, prefix).toContain(prefix);
    }
  });

  it('expertUsage() returns normalised, finite router statistics of predict() calls only, and resetUsage() clears them', async () => {
    const B = 5;
    const r = await run('derlUsage', { dims: TINY, B, seed: 3 });
    for (const [name, c] of Object.entries(r)) {
      expect(c.fresh.samples, name).toBe(0);
      expect(c.usage.samples, name).toBe(c.samples);
      expect(c.reset.samples, name).toBe(0);
      expect(c.again.samples, `${name}: losses() is not counted`).toBe(B);
      for (const u of [c.usage, c.again]) {
        expect(u.modalities.map((m) => m.modality)).toEqual(['l', 'v', 'a']);
        for (const m of u.modalities) {
          expect(m.shared.length).toBe(3);
          expect(m.private.length).toBe(2);
          for (const v of [...m.shared, ...m.private]) {
            expect(Number.isFinite(v)).toBe(true);
            expect(v).toBeGreaterThanOrEqual(0);
          }
          expect(Math.abs(sumOf(m.shared) - 1), `${name}: shared gates of ${m.modality}`).toBeLessThan(1e-5);
          expect(Math.abs(sumOf(m.private) - 1), `${name}: private gates of ${m.modality}`).toBeLessThan(1e-5);
          expect(m.sharedTopShare).toBeCloseTo(Math.max(...m.shared), 6);
          for (const [h, K] of [
            [m.sharedUsageEntropy, 3],
            [m.sharedSampleEntropy, 3],
            [m.privateUsageEntropy, 2],
            [m.privateSampleEntropy, 2],
          ]) {
            expect(h).toBeGreaterThanOrEqual(-1e-6);
            expect(h).toBeLessThanOrEqual(Math.log(K) + 1e-5);
          }
          // A sample's entropy averages to no more than the entropy of the average (concavity).
          expect(m.sharedSampleEntropy).toBeLessThanOrEqual(m.sharedUsageEntropy + 1e-5);
          expect(m.sharedSampleMax).toBeGreaterThanOrEqual(m.sharedTopShare - 1e-5);
        }
        expect(Math.abs(sumOf(u.pooledShared) - 1)).toBeLessThan(1e-5);
        expect(Math.abs(sumOf(Object.values(u.importance) as number[]) - 1)).toBeLessThan(1e-5);
      }
      for (const m of c.reset.modalities) expect([...m.shared, ...m.private].every((v: number) => v === 0)).toBe(true);
    }
    // Top-1 routing: every sample's largest gate is 1, its entropy 0.
    for (const m of r.topk.usage.modalities) {
      expect(m.sharedSampleMax).toBeCloseTo(1, 5);
      expect(m.sharedSampleEntropy).toBeLessThan(1e-5);
    }
  });

  it('does not leak: tidy training steps and predictions keep every memory counter flat', async () => {
    const r = await run('derlLeak', { dims: TINY, B: 6, steps: 6, seed: 3 });
    const keys = ['liveBuffers', 'liveBytes', 'allocatedBuffers', 'allocatedBytes'] as const;
    const ref = r.samples[1];
    for (const s of r.samples.slice(1)) for (const k of keys) expect(s[k], `${k} at step ${s.step}`).toBe(ref[k]);
    expect(r.leftover).toBe(0);
    for (const s of r.samples) expect(Number.isFinite(s.loss)).toBe(true);
    expect(r.samples[r.samples.length - 1].loss).toBeLessThan(r.samples[0].loss);
  });

  it("L_orth's gradient stops at the embedding with orthGradient 'experts' and reaches it with 'full'", async () => {
    const r = await run('derlOrthGradient', { dims: TINY, B: 7, seed: 5 });
    for (const group of ['router_p', 'router_s', 'private_experts', 'shared_experts']) {
      expect(r.experts[group], `experts mode: ${group}`).toBeGreaterThan(1e-6);
      expect(r.full[group], `full mode: ${group}`).toBeGreaterThan(1e-6);
    }
    for (const group of ['align', 'embed']) {
      expect(r.experts[group], `experts mode: ${group}`).toBe(0);
      expect(r.full[group], `full mode: ${group}`).toBeGreaterThan(1e-6);
    }
    expect(r.experts.other).toBe(0); // the fusion and the heads are not in L_orth
  });

  it('rejects bad inputs and configs with a WebgradError naming DERL, before any GPU work', async () => {
    const r = await run('derlBadInput', { dims: TINY, seed: 2 });
    for (const [name, c] of Object.entries(r)) {
      expect(c.threw, name).toBe(true);
      expect(c.name, `${name}: ${c.message}`).toBe('WebgradError');
      expect(c.message, name).toMatch(/DERL/);
      expect(c.dispatches, `${name}: dispatches before the error`).toBe(0);
    }
    expect(r.textWrongDim.message).toMatch(/\(B, 6, 10\)/);
    expect(r.labelsShape.message).toMatch(/labels/);
  });

  it('trains on the tiny synthetic data with the trainer: the loss falls and no shared expert takes over every modality', async () => {
    const r = await run('derlTrain', {
      size: 'tiny',
      preset: 'small',
      epochs: 4,
      lr: 2e-3,
      batchSize: 16,
      seed: 1111,
      rates: [0, 0.5],
    });
    const train = r.history.map((e) => e.train.total);
    for (const e of r.history) for (const v of Object.values(e.train)) expect(Number.isFinite(v as number)).toBe(true);
    expect(train[train.length - 1]).toBeLessThan(train[0]);
    const rows: string[] = [];
    for (const { rate, metrics, usage } of r.perRate) {
      expect(usage.samples).toBe(32);
      expect(Number.isFinite(metrics.mae)).toBe(true);
      // Not collapsed: for at least one modality, the most-used shared expert has under 70% of the weight.
      expect(Math.min(...usage.modalities.map((m) => m.sharedTopShare))).toBeLessThan(0.7);
      for (const m of usage.modalities) {
        rows.push(
          `rate ${rate} ${m.modality}: shared [${m.shared.map((v: number) => v.toFixed(3)).join(', ')}] ` +
            `private [${m.private.map((v: number) => v.toFixed(3)).join(', ')}] sample entropy ${m.sharedSampleEntropy.toFixed(3)}`,
        );
      }
      rows.push(
        `rate ${rate}: importance ${JSON.stringify(Object.fromEntries(Object.entries(usage.importance).map(([k, v]) => [k, +(v as number).toFixed(3)])))} MAE ${metrics.mae.toFixed(3)}`,
      );
    }
    console.log(
      `DERL small on tiny synthetic MOSI, train L_total per epoch ${train.map((v: number) => v.toFixed(3)).join(' → ')} (${r.trainSeconds.toFixed(1)} s)\n${rows.join('\n')}`,
    );
  });
});
