// The package as a user gets it: `npm pack` (which builds first), installed into a fresh app from npm's cache, then
//   (i)   the README's training loop, bundled by esbuild from the installed package, runs in headless Chromium;
//   (ii)  a strict TypeScript consumer (noUncheckedIndexedAccess, exactOptionalPropertyTypes, no skipLibCheck) and the
//         browser examples type-check against the package's declarations with 0 errors;
//   (iii) Node imports every entry of the exports map, and the bin answers;
// plus examples/web-app (loading a model exported as the trainer exports it) and examples/kernel-bench in Chromium.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import puppeteer, { type Browser } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serveDir, type StaticServer } from '../src/app/node/server';
import { readmeBlock } from './package-app/readme';

const run = promisify(execFile);
const repo = path.resolve(__dirname, '..');
const PKG = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
const NAME = PKG.name as string;
/** The Node entry (issue #18 part 2): its smoke test runs once package.json exports it. */

let tmp = '';
let app = '';
let files: string[] = [];
let server: StaticServer;
let browser: Browser;

beforeAll(async () => {
  const t0 = performance.now();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'webgrad-package-'));
  const packed = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: repo, maxBuffer: 64 << 20 });
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as {
    filename: string;
    size: number;
    files: { path: string }[];
  }[];
  files = info[0]!.files.map((f) => f.path);
  app = path.join(tmp, 'app');
  fs.cpSync(path.join(__dirname, 'package-app'), app, { recursive: true });
  fs.cpSync(path.join(repo, 'examples'), path.join(app, 'examples'), { recursive: true });
  fs.writeFileSync(
    path.join(app, 'readme-loop.ts'),
    readmeBlock(fs.readFileSync(path.join(repo, 'README.md'), 'utf8'), 'Use in a web app'),
  );
  // Offline from npm's cache when it has everything (CI: `npm ci` just filled it); never a browser download.
  await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', path.join(tmp, info[0]!.filename)],
    { cwd: app, env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1' }, maxBuffer: 16 << 20 },
  );
  // The optional peer dependency, as a Node user installs it (a dev dependency here, so in npm's cache).
  await run(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      `webgpu@${PKG.devDependencies?.webgpu ?? PKG.peerDependencies.webgpu}`,
    ],
    { cwd: app, maxBuffer: 16 << 20 },
  );
  console.log(
    `package test: ${info[0]!.filename} ${(info[0]!.size / 1e6).toFixed(2)} MB, ${files.length} files; ` +
      `packed and installed in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  server = await serveDir(app);
  browser = await puppeteer.connect({ browserWSEndpoint: inject('wsEndpoint'), protocolTimeout: 600_000 });
}, 300_000);

afterAll(async () => {
  browser?.disconnect();
  await server?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** Bundles `entry` (relative to the app) for the browser from the installed package, as a user's bundler would. */
async function bundle(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [path.join(app, entry)],
    outfile: path.join(app, outfile),
    bundle: true,
    format: 'esm',
    minify: true,
    absWorkingDir: app,
    logLevel: 'silent',
  });
}

/** Opens `page` of the app and waits for `globalThis[flag]` (or a page error); returns it with the console and errors. */
async function openAndWait(
  page: string,
  flag: string,
  timeoutMs = 240_000,
  base = server.url,
): Promise<{ value: unknown; logs: string[]; errors: string[] }> {
  const p = await browser.newPage();
  const logs: string[] = [];
  const errors: string[] = [];
  p.on('console', (m) => (m.type() === 'error' ? errors : logs).push(m.text()));
  p.on('pageerror', (e) => errors.push(String((e as Error).message ?? e)));
  try {
    await p.goto(`${base}${page}`);
    const t0 = performance.now();
    for (;;) {
      const value = await p.evaluate(`globalThis.${flag}`);
      if (value !== undefined || errors.length) return { value, logs, errors };
      if (performance.now() - t0 > timeoutMs) throw new Error(`${page}: no globalThis.${flag} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await p.close();
  }
}

describe('the packed package', () => {
  it('ships ESM JavaScript, declarations and the CLI, nothing else', () => {
    expect(
      files.filter((f) => /^(src|test|bench|kernels|examples)\//.test(f) || /\.wgsl$|(?<!\.d)\.ts$/.test(f)),
    ).toEqual([]);
    const pkg = JSON.parse(fs.readFileSync(path.join(app, 'node_modules', NAME, 'package.json'), 'utf8'));
    const targets = Object.values(pkg.exports as Record<string, string | Record<string, string>>).flatMap((e) =>
      typeof e === 'string' ? [e] : Object.values(e),
    );
    for (const t of [...targets, ...Object.values(pkg.bin as Record<string, string>)])
      expect(files).toContain(t.replace(/^\.\//, ''));
    // Nothing both bundled and depended on: each runtime dependency is imported by some shipped program.
    const shipped = files
      .filter((f) => /\.m?js$/.test(f))
      .map((f) => fs.readFileSync(path.join(app, 'node_modules', NAME, f), 'utf8'))
      .join('\n');
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      if (dep.startsWith('@types/') || dep === '@webgpu/types') continue; // types, referenced from the declarations
      expect(shipped, dep).toMatch(new RegExp(`from ["']${dep}["']`));
    }
    const dts = files
      .filter((f) => f.endsWith('.d.ts'))
      .map((f) => fs.readFileSync(path.join(app, 'node_modules', NAME, f), 'utf8'))
      .join('\n');
    expect(dts).toContain('<reference types="@webgpu/types"');
    // No declaration may import a .wgsl module (a consumer's TypeScript cannot resolve one); comments may name them.
    expect(dts).not.toMatch(/(from\s*|import\s*\(\s*)['"][^'"]*\.wgsl['"]/);
  });

  it('(iii) Node imports every entry of the exports map, and the bin answers', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(app, 'node_modules', NAME, 'package.json'), 'utf8'));
    const entries = Object.keys(pkg.exports)
      .filter((k) => k !== './package.json')
      .map((k) => (k === '.' ? NAME : `${NAME}/${k.slice(2)}`));
    expect(entries).toEqual(expect.arrayContaining([NAME, `${NAME}/models`]));
    const script = `for (const e of ${JSON.stringify(entries)}) { const m = await import(e); console.log(e, Object.keys(m).length); }`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: app });
    for (const e of entries) expect(stdout).toMatch(new RegExp(`^${e} [1-9]\\d*$`, 'm'));
    const bin = path.join(app, 'node_modules', '.bin', NAME);
    const help = await run(bin, ['--help'], { cwd: app });
    expect(help.stdout).toMatch(/train[\s\S]*demo[\s\S]*bench/);
    const trainHelp = await run(bin, ['train', '--help'], { cwd: app });
    expect(trainHelp.stdout).toContain('--dataset');
    await expect(run(bin, ['bench', '--peers', 'tfjs'], { cwd: app })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('clone'),
    });
  });

  it("the CLI's pages load from the install (the bench's without its peers)", async () => {
    const www = await serveDir(path.join(app, 'node_modules', NAME, 'dist', 'www'));
    try {
      for (const [page, flag] of [
        ['start.html', "webgradMain && 'loaded'"],
        ['bench.html', "bench && 'loaded'"],
        ['dar.html', "darBench && 'loaded'"],
      ] as const) {
        const r = await openAndWait(page, flag, 60_000, www.url);
        expect(r.errors, page).toEqual([]);
        expect(r.value, page).toBe('loaded');
      }
    } finally {
      await www.close();
    }
  }, 240_000);

  it('(iii) examples/node-train trains the tiny model in Node, predicts and writes the model file', async () => {
    const out = path.join(app, 'model-node.safetensors');
    const { stdout } = await run(process.execPath, [path.join(app, 'examples/node-train/train.mjs'), '1', out], {
      cwd: app,
      timeout: 240_000,
    });
    expect(stdout).toMatch(/epoch \d+: train loss \d/);
    expect(stdout.match(/^clip \d: predicted -?\d/gm)).toHaveLength(4);
    expect(fs.statSync(out).size).toBeGreaterThan(0);
  }, 300_000);

  it('(ii) a strict consumer and the browser examples type-check with 0 errors (Bundler and NodeNext resolution)', async () => {
    const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const project of ['tsconfig.json', 'tsconfig.nodenext.json']) {
      const r = await run(process.execPath, [tsc, '-p', project], { cwd: app }).then(
        () => '',
        (e: { stdout: string }) => e.stdout,
      );
      expect(r, project).toBe('');
    }
  }, 120_000);

  it('(i) the README training loop, bundled from the package, trains in headless Chromium', async () => {
    await bundle('readme-loop-page.ts', 'readme-loop.js');
    fs.writeFileSync(
      path.join(app, 'readme-loop.html'),
      '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="./readme-loop.js"></script>',
    );
    const r = await openAndWait('readme-loop.html', 'readmeDone');
    expect(r.errors).toEqual([]);
    const losses = r.logs.map(Number);
    expect(losses).toHaveLength(10);
    for (const l of losses) expect(Number.isFinite(l)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
  }, 240_000);

  it('examples/web-app predicts with a model exported as the trainer exports it', async () => {
    await bundle('make-model.ts', 'make-model.js');
    fs.writeFileSync(
      path.join(app, 'make-model.html'),
      '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="./make-model.js"></script>',
    );
    const made = await openAndWait('make-model.html', 'modelBase64');
    expect(made.errors).toEqual([]);
    fs.writeFileSync(path.join(app, 'model.safetensors'), Buffer.from(made.value as string, 'base64'));
    await bundle('examples/web-app/main.ts', 'examples/web-app/main.js');
    const r = await openAndWait('examples/web-app/index.html?model=../../model.safetensors', 'exampleResult');
    expect(r.errors).toEqual([]);
    const v = r.value as { kind: string; predictions: number[]; labels: number[]; mae: number };
    expect(v.kind).toBe('dar');
    expect(v.predictions).toHaveLength(8);
    for (const p of v.predictions) expect(Math.abs(p)).toBeLessThanOrEqual(3);
    expect(Number.isFinite(v.mae)).toBe(true);
  }, 240_000);

  it('examples/kernel-bench checks and times matmul and softmax', async () => {
    await bundle('examples/kernel-bench/main.ts', 'examples/kernel-bench/main.js');
    const r = await openAndWait('examples/kernel-bench/index.html', 'exampleResult');
    expect(r.errors).toEqual([]);
    const v = r.value as { relErr: number; rows: { kernel: string; rate: number }[] };
    expect(v.relErr).toBeLessThan(1e-4);
    expect(v.rows.map((x) => x.kernel)).toEqual(['matmul', 'matmul', 'matmul', 'softmax', 'softmax']);
    for (const x of v.rows) expect(x.rate).toBeGreaterThan(0);
  }, 240_000);
});
