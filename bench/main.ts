// `npm run bench`: the matmul kernel ladder, timed in headless Chrome/Chromium on WebGPU.
//
// bench/run.mjs bundles this file for Node and bench/page.ts for the browser, then calls main(). For every ladder
// kernel and shape it prints GFLOP/s (2·M·N·K / time) as the median and min–max of several timed runs after a
// warm-up, from wall clock and, where the adapter has timestamp-query, from GPU timestamps. Each kernel's result is
// checked once against the float64 CPU reference first; a mismatch makes the exit code 1.

import os from 'node:os';
import { parseArgs } from 'node:util';
import { BrowserNotFoundError, launchBrowser } from '../src/node/browser';
import { serveDir } from '../src/node/server';
import type { Page } from 'puppeteer';
import type { AdapterSummary } from '../src/gpu';
import type { BenchCase, BenchResult, KernelBenchInfo, KernelBenchResult } from './page';

const HELP = `Usage: npm run bench -- [options]

Times every rung of the matmul kernel ladder at 512×512×512 and at the model's Linear shapes (64·8 rows), then
the other areas' rows listed in bench/registry.ts.

Options:
  --runs <n>        timed runs per kernel and shape (default 5)
  --target-ms <ms>  wall time each run aims for; sets how many matmuls a run records (default 400)
  --kernels <list>  comma-separated matmul ladder kernels to time (default: all)
  --groups <list>   comma-separated row groups to run: matmul and those of bench/registry.ts (default: all)
  -h, --help        show this help

Environment:
  WEBGRAD_CHROME    path to a Chrome/Chromium executable (otherwise the system one is used)
`;

// The model's Linear layers see 64 sequences × 8 steps = 512 rows; hidden sizes 128 and 512.
const CASES: BenchCase[] = [
  { label: '512×512 · 512×512', M: 512, K: 512, N: 512 },
  { label: 'Linear 128→512  Y  = X·W     512×128 · 128×512', M: 512, K: 128, N: 512 },
  { label: 'Linear 128→512  dX = dY·Wᵀ   512×512 · (128×512)ᵀ', M: 512, K: 512, N: 128, transB: true },
  { label: 'Linear 128→512  dW = Xᵀ·dY   (512×128)ᵀ · 512×512', M: 128, K: 512, N: 512, transA: true },
  { label: 'Linear 512→128  Y  = X·W     512×512 · 512×128', M: 512, K: 512, N: 128 },
  { label: 'Linear 512→128  dX = dY·Wᵀ   512×128 · (512×128)ᵀ', M: 512, K: 128, N: 512, transB: true },
  { label: 'Linear 512→128  dW = Xᵀ·dY   (512×512)ᵀ · 512×128', M: 512, K: 512, N: 128, transA: true },
];

/** A result is right when every element is within 1e-4 of the largest reference magnitude (float32, K ≤ 512). */
const TOLERANCE = 1e-4;
/** The same for the registry's rows, which include whole forward + backward passes. */
const ROW_TOLERANCE = 1e-3;

function stats(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1] };
}

const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

function gflops(c: BenchCase, ms: number[]): string {
  const g = stats(ms.map((t) => (2 * c.M * c.N * c.K) / (t * 1e6)));
  return `${fmt(g.median)} [${fmt(g.min)}–${fmt(g.max)}]`;
}

/** A bad command line: reported as a message, exit code 2. */
class UsageError extends Error {}

export async function main(www: string, argv: string[]): Promise<number> {
  try {
    return await bench(www, argv);
  } catch (e) {
    if (!(e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) throw e;
    console.error(`${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
}

async function bench(www: string, argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string', default: '5' },
      'target-ms': { type: 'string', default: '400' },
      kernels: { type: 'string' },
      groups: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const runs = Number(values.runs);
  const targetMs = Number(values['target-ms']);
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs must be a positive integer, got ${values.runs}`);
  if (!(targetMs > 0)) throw new UsageError(`--target-ms must be a positive number, got ${values['target-ms']}`);

  let launched;
  try {
    launched = await launchBrowser();
  } catch (e) {
    if (!(e instanceof BrowserNotFoundError)) throw e;
    console.error(e.message);
    return 1;
  }
  const server = await serveDir(www);
  let failures = 0;
  try {
    const page = await launched.browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String((e as Error).message ?? e)));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    await page.goto(`${server.url}bench.html`);
    await page.waitForFunction('globalThis.bench !== undefined', { timeout: 60_000 });
    const info = (await page.evaluate('globalThis.bench.ready')) as { adapter: AdapterSummary; description: string; kernels: string[] };
    const kernels = values.kernels ? values.kernels.split(',') : info.kernels;
    for (const k of kernels) if (!info.kernels.includes(k)) throw new UsageError(`unknown kernel ${k}; the ladder is ${info.kernels.join(', ')}`);
    const hasTimestamps = info.adapter.features.includes('timestamp-query');
    const rows = (await page.evaluate('globalThis.bench.rows()')) as KernelBenchInfo[];
    const groups = values.groups ? values.groups.split(',') : ['matmul', ...new Set(rows.map((r) => r.group))];
    const known = new Set(['matmul', ...rows.map((r) => r.group)]);
    for (const g of groups) if (!known.has(g)) throw new UsageError(`unknown group ${g}; the groups are ${[...known].join(', ')}`);

    console.log('webgrad kernel benchmark');
    console.log(`adapter:  ${info.description}`);
    console.log(`browser:  ${launched.executablePath} ${launched.args.join(' ')}`);
    // SwiftShader runs the kernels on the CPU cores, so other load on the machine shows up directly in the numbers.
    console.log(`machine:  ${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? 'unknown'}), load average ${os.loadavg()[0].toFixed(2)} at start`);
    console.log(`timing:   ${runs} runs per row after a warm-up; a run records back-to-back calls (sized to ~${targetMs} ms) and ` +
      'waits for onSubmittedWorkDone;');
    console.log(`          median [min–max] over the runs; wall = wall clock, gpu = ` +
      (hasTimestamps ? 'timestamp-query span of the same run' : 'n/a (adapter has no timestamp-query)'));

    if (groups.includes('matmul')) {
      failures += await matmulTable(page, kernels, runs, targetMs, pageErrors);
    }
    const picked = rows.map((r, i) => ({ ...r, i })).filter((r) => groups.includes(r.group));
    if (picked.length) {
      console.log('');
      const header = `${'group'.padEnd(12)} ${'row'.padEnd(44)} ${'wall ms/call'.padEnd(24)} ${'gpu ms/call'.padEnd(12)} ` +
        `${'GFLOP/s'.padStart(8)} ${'GB/s'.padStart(8)}  check`;
      console.log(header);
      console.log('-'.repeat(header.length + 16));
      for (const row of picked) {
        const r = (await page.evaluate(`globalThis.bench.runRow(${row.i}, ${runs}, ${targetMs})`)) as KernelBenchResult;
        if (pageErrors.length) throw new Error(`page reported errors: ${pageErrors.join('\n')}`);
        const ok = r.relErr <= ROW_TOLERANCE;
        if (!ok) failures++;
        const wall = stats(r.wallMs);
        const gpu = r.gpuMs ? fmt(stats(r.gpuMs).median) : 'n/a';
        const rate = (amount: number | undefined) => (amount ? fmt(amount / (wall.median * 1e6)) : '–');
        console.log(
          `${row.group.padEnd(12)} ${row.label.padEnd(44)} ${`${fmt(wall.median)} [${fmt(wall.min)}–${fmt(wall.max)}]`.padEnd(24)} ` +
            `${gpu.padEnd(12)} ${rate(row.flops).padStart(8)} ${rate(row.bytes).padStart(8)}  ` +
            `${ok ? 'ok' : 'MISMATCH'} (rel err ${r.relErr.toExponential(1)})`,
        );
      }
    }
    if (failures) console.log(`\n${failures} result(s) did not match the float64 reference`);
  } finally {
    await launched.close();
    await server.close();
  }
  return failures ? 1 : 0;
}

/** The matmul ladder table; returns how many results did not match the reference. */
async function matmulTable(page: Page, kernels: string[], runs: number, targetMs: number, pageErrors: string[]): Promise<number> {
  let failures = 0;
  console.log('');
  console.log('matmul ladder: GFLOP/s = 2·M·N·K / time per matmul');
  const header = `${'shape'.padEnd(52)} ${'kernel'.padEnd(7)} ${'wall GFLOP/s'.padEnd(22)} ${'gpu GFLOP/s'.padEnd(22)} ${'ms/op'.padStart(8)}  check`;
  console.log(header);
  console.log('-'.repeat(header.length + 12));
  for (const c of CASES) {
    for (const kernel of kernels) {
      const r = (await page.evaluate(
        `globalThis.bench.run(${JSON.stringify(kernel)}, ${JSON.stringify(c)}, ${runs}, ${targetMs})`,
      )) as BenchResult;
      if (pageErrors.length) throw new Error(`page reported errors: ${pageErrors.join('\n')}`);
      const ok = r.maxErr <= TOLERANCE * Math.max(1, r.scale);
      if (!ok) failures++;
      const check = `${ok ? 'ok' : 'MISMATCH'} (max err ${r.maxErr.toExponential(1)})`;
      console.log(
        `${c.label.padEnd(52)} ${kernel.padEnd(7)} ${gflops(c, r.wallMs).padEnd(22)} ` +
          `${(r.gpuMs ? gflops(c, r.gpuMs) : 'n/a').padEnd(22)} ${stats(r.wallMs).median.toFixed(1).padStart(8)}  ${check}`,
      );
    }
  }
  return failures;
}
