// Checkpoint files on disk as npm start handles them (Node only, no GPU): --resume refuses non-finite weights, a
// diverged run names a last good checkpoint that exists, and temporary files left by a killed writer are removed by
// the next run when their writer is provably gone.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastGoodFile, planResume, UsageError, type ResumeEntry } from '../src/app/cli/start';
import { removeStaleTemps, writeFileAtomic, type AtomicFs } from '../src/app/io/atomic';
import { parseSafetensors, writeSafetensors } from '../src/engine/io/safetensors';
import { prepareOutput } from '../src/app/cli/start-resume';
import { rngFor } from './rng';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webgrad-ckfiles-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A file shaped like a trainer checkpoint of `seed` at `epoch`, with weights `w`. */
function trainCheckpoint(file: string, seed: number, epoch: number, w: Float32Array): string {
  const meta = { format: 'webgrad-train/1', model: 'dar', seed, epoch, bestEpoch: epoch, options: {} };
  fs.writeFileSync(
    file,
    writeSafetensors({ 'head.weight': { shape: [w.length], data: w } }, { 'webgrad.meta': JSON.stringify(meta) }),
  );
  return file;
}

describe('--resume and the last good checkpoint', () => {
  it('--resume refuses a checkpoint holding NaN or Infinity, naming the tensor and index', () => {
    const rng = rngFor('resume non-finite');
    const w = Float32Array.from(rng.uniform(16));
    const good = trainCheckpoint(path.join(dir, 'good.safetensors'), 7, 2, w);
    expect(planResume(good, [7]).get(7)?.from).toBe(good);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const i = rng.int(w.length);
      const poisoned = Float32Array.from(w);
      poisoned[i] = bad;
      const file = trainCheckpoint(path.join(dir, 'poisoned.safetensors'), 7, 2, poisoned);
      expect(() => planResume(file, [7])).toThrow(UsageError);
      expect(() => planResume(file, [7])).toThrow(`"head.weight"[${i}] is ${bad}`);
    }
  });

  it("names the file that holds the last good epoch: this run's last checkpoint or the one it resumed from", () => {
    const w = new Float32Array(4);
    const prev = fs.mkdtempSync(path.join(dir, 'prev-'));
    const out = fs.mkdtempSync(path.join(dir, 'out-'));
    const from = trainCheckpoint(path.join(prev, 'last-seed5.safetensors'), 5, 3, w);
    const plan = new Map<number, ResumeEntry>([[5, { from, best: null, meta: {} }]]);
    // Diverged before this run wrote a checkpoint: the last good epoch is the one resumed from.
    expect(lastGoodFile(out, 5, 3, plan)).toBe(from);
    // A stale last-seed5 of an older run in the output directory is not it either.
    const last = trainCheckpoint(path.join(out, 'last-seed5.safetensors'), 5, 1, w);
    expect(lastGoodFile(out, 5, 3, plan)).toBe(from);
    // Once this run has written epoch 4, that is the one.
    trainCheckpoint(last, 5, 4, w);
    expect(lastGoodFile(out, 5, 4, plan)).toBe(last);
    // Neither holds epoch 2, and nothing was resumed for seed 6.
    expect(lastGoodFile(out, 5, 2, plan)).toBeNull();
    expect(lastGoodFile(out, 6, 4, plan)).toBeNull();
  });
});

describe('the model file beside a resumed run', () => {
  it("a resumed seed's best checkpoint is copied into --out with its model file: the weights, no optimizer state", async () => {
    const prev = fs.mkdtempSync(path.join(dir, 'prev-'));
    const out = path.join(dir, 'resumed-out');
    const w = Float32Array.from(rngFor('resume model file').uniform(6));
    const meta = {
      format: 'webgrad-train/1',
      model: 'DAR',
      modelConfig: { d: 3 },
      seed: 9,
      epoch: 2,
      bestEpoch: 2,
      options: {},
    };
    const from = path.join(prev, 'last-seed9.safetensors');
    fs.writeFileSync(
      from,
      writeSafetensors(
        {
          'head.weight': { shape: [6], data: w },
          'optim.head.weight.expAvg': { shape: [6], data: w },
          'optim.head.weight.expAvgSq': { shape: [6], data: w },
        },
        { 'webgrad.format': 'webgrad-checkpoint/1', 'webgrad.meta': JSON.stringify(meta) },
      ),
    );
    await prepareOutput(out, new Map<number, ResumeEntry>([[9, { from, best: null, meta }]]));
    expect(fs.readFileSync(path.join(out, 'best-seed9.safetensors'))).toEqual(fs.readFileSync(from));
    const model = parseSafetensors(new Uint8Array(fs.readFileSync(path.join(out, 'model-seed9.safetensors'))));
    expect([...model.tensors.keys()]).toEqual(['head.weight']);
    expect(JSON.parse(model.metadata['webgrad.meta'])).toMatchObject({
      format: 'webgrad-model/1',
      model: 'DAR',
      modelConfig: { d: 3 },
      seed: 9,
      epoch: 2,
    });
  });
});

describe('temporary files of killed writers', () => {
  /** A pid that was alive a moment ago and is not any more. */
  const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

  it('a temporary file is named after its writer: pid and start time', async () => {
    // A rename that fails and an unlink that does nothing leave the temporary file, as a kill would.
    const real = fs.promises;
    const leaving: AtomicFs = {
      open: (f, flags, mode) => real.open(f, flags, mode),
      rename: async () => {
        throw new Error('killed (injected)');
      },
      unlink: async () => undefined,
    };
    const target = path.join(dir, 'own.bin');
    await expect(writeFileAtomic(target, new Uint8Array(8), { fs: leaving })).rejects.toThrow(/injected/);
    const left = fs.readdirSync(dir).filter((n) => n.startsWith('own.bin.tmp-'));
    expect(left.length).toBe(1);
    const m = /^own\.bin\.tmp-(\d+)-(\d+)-[0-9a-f]{12}$/.exec(left[0]);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBe(process.pid);
    expect(Math.abs(Number(m![2]) - performance.timeOrigin)).toBeLessThan(2);
    // This process's own leftover (no write in flight) is removed.
    expect(await removeStaleTemps(dir, (n) => n === 'own.bin')).toEqual(left);
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('own.bin.tmp-'))).toEqual([]);
  });

  it('removes only temporary files of the given targets whose writer is provably gone', async () => {
    const sub = fs.mkdtempSync(path.join(dir, 'tmps-'));
    const dead = deadPid();
    const names = {
      deadWriter: `best-seed1.safetensors.tmp-${dead}-1700000000000-0123456789ab`,
      deadOldFormat: `last-seed1.safetensors.tmp-${dead}-0123456789ab`, // written before the start time was in the name
      pidReusedByUs: `best-seed2.safetensors.tmp-${process.pid}-1700000000000-0123456789ab`,
      liveWriter: `best-seed3.safetensors.tmp-${process.ppid}-${Date.now()}-0123456789ab`,
      otherTarget: `notes.txt.tmp-${dead}-1700000000000-0123456789ab`,
      notATemp: `best-seed1.safetensors.tmp-${dead}-zzz`,
      target: 'best-seed1.safetensors',
    };
    for (const n of Object.values(names)) fs.writeFileSync(path.join(sub, n), 'partial');
    fs.mkdirSync(path.join(sub, `best-seed4.safetensors.tmp-${dead}-1-ab`)); // a directory is never removed
    const isTarget = (n: string) => /^(best|last)-seed\d+\.safetensors$/.test(n);
    const removed = await removeStaleTemps(sub, isTarget);
    expect(removed.sort()).toEqual([names.deadWriter, names.deadOldFormat, names.pidReusedByUs].sort());
    expect(fs.readdirSync(sub).sort()).toEqual(
      [
        names.liveWriter,
        names.otherTarget,
        names.notATemp,
        names.target,
        `best-seed4.safetensors.tmp-${dead}-1-ab`,
      ].sort(),
    );
    expect(await removeStaleTemps(sub, isTarget)).toEqual([]); // nothing more to prove
  });
});
