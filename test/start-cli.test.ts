// `npm start` as a user runs it: the built program (dist/start.mjs and its page, built into test/artifacts so that
// node resolves puppeteer from node_modules) in a child process. An --out that cannot hold files fails at once with
// one line.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error build.mjs is plain JavaScript
import { buildNodePrograms, buildPages, NODE_PROGRAMS, PAGES } from '../build.mjs';
import { OutDirError, prepareOutDir } from '../src/node/out-dir';

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
    const r = spawnSync(process.execPath, [startMjs(), '--out', '/proc/x/run', '--dataset', 'tiny', '--seeds', '1', '--epochs', '1'],
      { encoding: 'utf8', timeout: 20_000 });
    const seconds = (performance.now() - t0) / 1000;
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(/^error: --out \/proc\/x\/run: \/proc\/x\/run is under \/proc, a kernel pseudo file system .*\(see --help\)$/);
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
    expect(outError(path.join(file, 'run')).message).toBe(`${path.join(file, 'run')}: ${file} exists and is not a directory`);
    expect(outError(file).message).toMatch(/exists and is not a directory/);
    // A good path is made, nested, and left empty (the write probe is removed).
    const good = path.join(tmp, 'a', 'b', 'c');
    expect(prepareOutDir(good)).toBe(good);
    expect(fs.readdirSync(good)).toEqual([]);
    expect(prepareOutDir(good)).toBe(good); // existing is fine
  });
});
