// `npm start -- --runtime node` as a user runs it (the built dist/start.mjs and dist/start-worker.mjs, in a child
// process): it trains and evaluates the smallest run without any browser (WEBGRAD_CHROME points at nothing, so a
// browser launch would fail) and writes the usual checkpoints, results.json and report.html.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
// @ts-expect-error build.mjs is plain JavaScript
import { buildNodePrograms, buildPages, NODE_PROGRAMS, PAGES } from '../../build.mjs';

let dir: string;
let out: string;

beforeAll(async () => {
  // Inside the repository, so that node resolves `webgpu` and `puppeteer` from node_modules.
  dir = path.join(process.cwd(), 'test', 'artifacts', `start-node-${process.pid}`);
  await buildNodePrograms(dir, { start: NODE_PROGRAMS.start, 'start-worker': NODE_PROGRAMS['start-worker'] });
  await buildPages(path.join(dir, 'www'), { start: PAGES.start });
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'webgrad-start-node-'));
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  if (out) fs.rmSync(out, { recursive: true, force: true });
});

it('npm start -- --runtime node trains, evaluates and reports without a browser', () => {
  const r = spawnSync(
    process.execPath,
    [
      path.join(dir, 'start.mjs'),
      '--runtime',
      'node',
      '--dataset',
      'tiny',
      '--epochs',
      '1',
      '--seeds',
      '5',
      '--train-subset',
      '16',
      '--valid-subset',
      '8',
      '--test-subset',
      '8',
      '--out',
      out,
    ],
    {
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, WEBGRAD_CHROME: path.join(out, 'no-browser-here') },
    },
  );
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  expect(r.stdout).toContain('Per missing rate');
  const files = fs.readdirSync(out).sort();
  expect(files).toEqual([
    'best-seed5.safetensors',
    'last-seed5.safetensors',
    'model-seed5.safetensors',
    'report.html',
    'results.json',
  ]);
  const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));
  expect(results.run.browser).toMatch(/^none: --runtime node/);
  expect(results.run.runtime).toBe('node'); // reported by the trainer itself, in the worker
  expect(results.run.adapter).toBeTruthy();
  expect(results.perRate.length).toBeGreaterThan(0);
}, 300_000);
