// `npm start` as a user runs it: the built program (dist/start.mjs and its page, built into test/artifacts so that
// node resolves puppeteer from node_modules) in a child process. An --out that cannot hold files fails at once with
// one line; Ctrl-C keeps the best checkpoint, writes a partial report and closes the browser, and a second Ctrl-C
// quits at once.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error build.mjs is plain JavaScript
import { buildNodePrograms, buildPages, NODE_PROGRAMS, PAGES } from '../build.mjs';
import { OutDirError, prepareOutDir } from '../src/app/node/out-dir';
import { parseSafetensors } from '../src/engine/io/safetensors';

let dir: string;
let tmp: string;
const startMjs = () => path.join(dir, 'start.mjs');

beforeAll(async () => {
  dir = path.join(process.cwd(), 'test', 'artifacts', `start-cli-drivers-${process.pid}`);
  await buildNodePrograms(dir, { start: NODE_PROGRAMS.start });
  await buildPages(path.join(dir, 'www'), { start: PAGES.start });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'webgrad-out-'));
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const outError = (dir: string): OutDirError => {
  try {
    prepareOutDir(dir);
  } catch (e) {
    if (e instanceof OutDirError) return e;
    throw e;
  }
  throw new Error(`prepareOutDir(${dir}) did not fail`);
};

describe('npm start --out', () => {
  it('refuses a directory under /proc within a second, with one line and exit code 2, before launching a browser', () => {
    const t0 = performance.now();
    // Before the fix this spun at 100 % CPU in a recursive mkdir until the timeout killed it (status null).
    const r = spawnSync(
      process.execPath,
      [startMjs(), '--out', '/proc/x/run', '--dataset', 'tiny', '--seeds', '1', '--epochs', '1'],
      { encoding: 'utf8', timeout: 20_000 },
    );
    const seconds = (performance.now() - t0) / 1000;
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(
      /^error: --out \/proc\/x\/run: \/proc\/x\/run is under \/proc, a kernel pseudo file system .*\(see --help\)$/,
    );
    // Node's start-up included; the check itself takes milliseconds.
    expect(seconds).toBeLessThan(5);
    expect(fs.existsSync('/proc/x')).toBe(false);
  });

  it('names why a directory cannot be made: pseudo file systems, a file in the way; and makes nested directories', () => {
    expect(outError('/sys/webgrad-out').message).toMatch(/under \/sys, a kernel pseudo file system/);
    expect(outError('/dev/webgrad-out/run').message).toMatch(/under \/dev, a kernel pseudo file system/);
    expect(fs.existsSync('/dev/webgrad-out')).toBe(false);
    // Through a symlink to /proc: the real path counts.
    fs.symlinkSync('/proc/self', path.join(tmp, 'to-proc'));
    expect(outError(path.join(tmp, 'to-proc', 'run')).message).toMatch(/\/proc\/\d+\/run is under \/proc/);
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, 'x');
    expect(outError(path.join(file, 'run')).message).toBe(
      `${path.join(file, 'run')}: ${file} exists and is not a directory`,
    );
    expect(outError(file).message).toMatch(/exists and is not a directory/);
    // A good path is made, nested, and left empty (the write probe is removed).
    const good = path.join(tmp, 'a', 'b', 'c');
    expect(prepareOutDir(good)).toBe(good);
    expect(fs.readdirSync(good)).toEqual([]);
    expect(prepareOutDir(good)).toBe(good); // existing is fine
  });
});

/** The browser a run launched, from src/app/node/browser.ts's registry of {browser pid, owner pid, profile}. */
function browserOf(ownerPid: number): { browserPid: number; profile: string } | null {
  const dir = path.join(os.tmpdir(), 'webgrad-browsers');
  const f = fs.existsSync(dir) ? fs.readdirSync(dir).find((n) => n.startsWith(`${ownerPid}-`)) : undefined;
  return f ? JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) : null;
}

/** Processes in a process group (the browser leads its own: it and every helper it started). */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const pid of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // state, ppid, pgrp, ...
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') out.push(Number(pid));
    } catch {
      // exited while we looked
    }
  }
  return out;
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  return cond();
}

/**
 * Starts a small run (late fusion on tiny data, 2 seeds, one step per epoch) and sends SIGINT `times` times, 200 ms
 * apart, once its output matches `when`.
 */
async function interruptedRun(out: string, times: number, when: RegExp) {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      startMjs(),
      '--out',
      out,
      '--dataset',
      'tiny',
      '--model',
      'latefusion',
      '--seeds',
      '7,8',
      '--epochs',
      '30',
      '--batch-size',
      '16',
      '--train-subset',
      '16',
      '--valid-subset',
      '8',
      '--test-subset',
      '8',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  let browser: { browserPid: number; profile: string } | null = null;
  let signalledAt = 0;
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.on('data', (d) => {
    stdout += d;
    if (!signalledAt && when.test(stdout)) {
      browser = browserOf(child.pid!);
      signalledAt = performance.now();
      for (let i = 0; i < times; i++) setTimeout(() => child.kill('SIGINT'), 200 * i);
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return {
    code,
    stdout,
    stderr,
    browser: browser as { browserPid: number; profile: string } | null,
    secondsAfterSignal: (performance.now() - signalledAt) / 1000,
  };
}

describe('npm start, Ctrl-C', () => {
  it('keeps the best checkpoint, evaluates it, writes a partial results.json and report.html, closes the browser and exits 130', async () => {
    const out = path.join(tmp, 'interrupted');
    const r = await interruptedRun(out, 1, /seed 7 epoch 1\/30:/);
    console.log(
      `Ctrl-C run: exit ${r.code} ${r.secondsAfterSignal.toFixed(1)} s after the signal\n${r.stdout}${r.stderr}`,
    );
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/Ctrl-C: stopping after this step/);
    const m =
      /interrupted \(Ctrl-C\) during seed 7 after epoch (\d+); best epoch (\d+) kept \(best-seed7\.safetensors\); seeds evaluated: 7: the report above is partial/.exec(
        r.stdout,
      );
    expect(m, 'the closing line').not.toBeNull();
    const [epochsRun, bestEpoch] = [Number(m![1]), Number(m![2])];
    expect(epochsRun).toBeGreaterThanOrEqual(1);
    expect(epochsRun).toBeLessThan(30);
    expect(bestEpoch).toBeLessThanOrEqual(epochsRun);
    // The best checkpoint of seed 7 is there and names its epoch; seed 8 never started.
    expect(fs.existsSync(path.join(out, 'best-seed7.safetensors'))).toBe(true);
    const meta = JSON.parse(
      parseSafetensors(new Uint8Array(fs.readFileSync(path.join(out, 'best-seed7.safetensors')))).metadata[
        'webgrad.meta'
      ],
    );
    expect(meta).toMatchObject({ seed: 7, epoch: bestEpoch });
    expect(fs.readdirSync(out).filter((f) => f.includes('seed8'))).toEqual([]);
    // Beside it, the model file: the same weights, no optimizer state, smaller.
    const model = parseSafetensors(new Uint8Array(fs.readFileSync(path.join(out, 'model-seed7.safetensors'))));
    expect(JSON.parse(model.metadata['webgrad.meta'])).toMatchObject({
      format: 'webgrad-model/1',
      model: 'latefusion',
      seed: 7,
      epoch: bestEpoch,
    });
    expect([...model.tensors.keys()].some((n) => n.startsWith('optim'))).toBe(false);
    expect(fs.statSync(path.join(out, 'model-seed7.safetensors')).size).toBeLessThan(
      fs.statSync(path.join(out, 'best-seed7.safetensors')).size / 2,
    );
    // Before the first step, the kernels it needs were compiled with a count.
    expect(r.stdout).toMatch(/seed 7: compiling kernels 0\/\d+ for the first training step/);
    // results.json covers seed 7's best epoch at every rate, and says it is partial.
    const json = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(json.protocol.seeds).toEqual([7]);
    expect(json.perRate.length).toBe(10);
    expect(json.run.interrupted).toMatch(/^interrupted \(Ctrl-C\) during seed 7/);
    // Where it ran and on what, as the page reported; times to 0.1 s.
    expect(json.run.runtime).toBe('browser');
    expect(json.run.adapter).toMatch(/\S/);
    const tenths = (x: number) => Math.abs(x * 10 - Math.round(x * 10)) < 1e-9;
    expect(
      tenths(json.run.wallSeconds) &&
        tenths(json.training[0].trainSeconds) &&
        json.training[0].history.every((h: { seconds: number }) => tenths(h.seconds)),
    ).toBe(true);
    expect(json.training[0]).toMatchObject({ seed: 7, bestEpoch, epochsRun, stoppedEarly: true });
    // Where the time went: the seed's phases (to 0.1 s), training's adding up to its trainSeconds and evaluation's to
    // its evalSeconds, the first step's compile among them; setup and the report in run.phases; the table printed.
    const t = json.training[0];
    const trainKeys = ['compile', 'steps', 'validation', 'probes', 'checkpoints', 'trainOther'];
    const evalKeys = ['evalRates', 'evalAbsent', 'evalExperts', 'evalProbes'];
    expect(Object.keys(t.phases)).toEqual([...trainKeys, ...evalKeys]);
    const sum = (keys: string[]) => keys.reduce((s, k) => s + t.phases[k], 0);
    expect(Object.values(t.phases).every((v) => typeof v === 'number' && v >= 0 && tenths(v))).toBe(true);
    expect(Math.abs(sum(trainKeys) - t.trainSeconds)).toBeLessThan(0.5);
    expect(Math.abs(sum(evalKeys) - t.evalSeconds)).toBeLessThan(0.5);
    expect(t.phases.compile).toBeGreaterThan(0);
    expect(t.phases.steps).toBeGreaterThan(0);
    expect(t.phases.evalRates).toBeGreaterThan(0);
    expect(t.history.every((h: { compileSeconds: number }, i: number) => h.compileSeconds > 0 === (i === 0))).toBe(
      true,
    );
    expect(Object.keys(json.run.phases)).toEqual(['setup', 'report']);
    expect(json.run.phases.report).toBeGreaterThanOrEqual(0);
    expect(r.stdout).toMatch(/^time by phase \(s; total wall [\d.]+\):$/m);
    expect(r.stdout).toMatch(/^compiling the first step +[\d.]+ +[\d.]+$/m);
    expect(r.stdout).toMatch(/^test: 10 missing rates +[\d.]+ +[\d.]+$/m);
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('interrupted (Ctrl-C) during seed 7');
    // The browser and every helper process of it are gone, and so is its profile.
    expect(r.browser).not.toBeNull();
    expect(await until(() => groupMembers(r.browser!.browserPid).length === 0, 5000)).toBe(true);
    expect(fs.existsSync(r.browser!.profile)).toBe(false);
  }, 120_000);

  it('a second Ctrl-C quits at once, leaving no browser behind', async () => {
    // As soon as the page runs (the browser is up, training starting): no need to wait for an epoch.
    const r = await interruptedRun(path.join(tmp, 'quit'), 2, /^budget:/m);
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/Ctrl-C again: quitting now/);
    expect(r.secondsAfterSignal).toBeLessThan(3);
    expect(r.browser).not.toBeNull();
    expect(await until(() => groupMembers(r.browser!.browserPid).length === 0, 5000)).toBe(true);
    expect(fs.existsSync(r.browser!.profile)).toBe(false);
  }, 120_000);
});
