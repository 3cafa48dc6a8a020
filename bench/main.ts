// `npm run bench`: webgrad side by side with its peers, in one headless Chromium on WebGPU, plus DAR training
// throughput against PyTorch on this CPU.
//
// bench/run.mjs bundles this file for Node and the pages for the browser (bench/page.ts, bench/dar-page.ts), then
// calls main(). Sections, in order (see HELP):
//   ladder   webgrad's matmul kernel ladder at 512³ and DAR's Linear shapes, GFLOP/s (wall and timestamp-query)
//   compare  bench/ops/*.compare.ts: each row on webgrad, tfjs (WebGPU backend), onnxruntime-web (WebGPU
//            provider; wasm for the CPU column) and jax-js (WebGPU backend), checked against the float64 CPU reference,
//            timed in interleaved rounds; ratio peer/webgrad.
//            Rows where the fastest peer is within the floor (3×) get a per-kernel profile of webgrad's call.
//   dar      one DAR training step (bench/dar-step.ts) per preset, with its per-kernel profile, beside the repo's
//            PyTorch reference DAR on this CPU (bench/torch_dar_step.py; skipped when torch is absent)
//   areas    the other areas' webgrad-only rows (bench/registry.ts), as before; not run by default
// A full run writes bench/results/<date>-<adapter>.json and regenerates bench/RESULTS.md from it.

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BrowserNotFoundError, launchBrowser } from '../src/app/node/browser';
import { launchNode } from './node-page';
import { serveDir } from '../src/app/node/server';
import { formatProfile, type Profile } from '../src/engine/profile';
import { darConfig } from '../src/app/models/dar/config';
import { MOSI_DIMS } from '../src/app/data/types';
import type { Page } from 'puppeteer';
import type { AdapterSummary } from '../src/engine/gpu';
import type { CompareInfo, ImplResult, KernelBenchInfo, KernelBenchResult, PeerInfo } from './page';
import type { BenchCase, BenchResult } from './ops/matmul';
import { PEERS, type PeerName } from './peers/types';
import type { Tuning, TuningProfile } from '../src/engine/tuning';
import type { DarStepResult } from './dar-step';
import type { BertStepResult } from './bert-step';
import {
  fmt,
  saveResults,
  stats,
  writeMarkdown,
  type BenchResults,
  type CompareRecord,
  type DarRecord,
  type ImplRecord,
  type LadderRecord,
} from './report';

/**
 * Chromium quantizes WebGPU timestamp queries (to 100 µs, against timing attacks) unless it is told otherwise; the
 * flags that turn it off (docs/decisions/bench.md, "Precise timestamps").
 */
const PRECISE_TIMESTAMPS = ['--enable-webgpu-developer-features', '--disable-dawn-features=timestamp_quantization'];

const HELP = `Usage: npm run bench -- [options]

Runs, in one headless Chromium with WebGPU:
  ladder   webgrad's matmul kernel ladder at 512×512×512 and DAR's Linear shapes (64·8 rows), GFLOP/s
  compare  webgrad vs tfjs (WebGPU backend), onnxruntime-web (WebGPU provider) and jax-js (WebGPU backend, jit) on
           identical inputs: matmul, conv1d, attention, BiLSTM, InfoNCE, a BERT layer; a CPU column (onnxruntime-web
           on wasm, SIMD + one thread per core) on the matmul, conv1d and attention rows; each result checked against the float64 CPU reference; interleaved rounds;
           ratio = peer time / webgrad time; rows under the ${'floor'} get a per-kernel profile of webgrad's call
  dar      samples/s of one DAR training step (presets small and paper, batch 64) on webgrad and in PyTorch on this
           CPU (/usr/bin/python3 with Debian's python3-torch; skipped with a message when torch is absent)
  areas    the webgrad-only rows of bench/registry.ts (conv1d, attention, LSTM, InfoNCE/CLUB variants)
  bert     BERT-base (random weights) forward, forward + backward and AdamW on 32 × 50 token ids: time and GPU memory
           (weights, AdamW state, activations, gradients); not run by default (minutes on a CPU)
A full run (no --filter/--quick/--only) saves bench/results/<date>-<adapter>.json and regenerates bench/RESULTS.md.

Options:
  --only <list>       sections to run (default ladder,compare,dar; 'all' adds areas)
  --filter <text>     run only the compare/areas rows whose "group label" contains one of the comma-separated texts
                      (case-insensitive); implies --only compare unless --only is given
  --quick             fewer, shorter rounds: --runs 3 --target-ms 150 --budget-ms 1500, ladder 'tiled' only, DAR 'small' only
  --runs <n>          timed rounds per row (default 5)
  --target-ms <ms>    wall time one timed run aims for; sets how many calls it records (default 300)
  --budget-ms <ms>    an implementation that has spent this long timing a row stops after 2 rounds (default 4000)
  --peers <list>      peers to compare against: tfjs,ort,ort-wasm,jax (default all; 'none' for webgrad only)
  --tuning <p>        webgrad's kernel tuning profile: cpu, gpu or both (a column each; default: the adapter's
                      choice, no re-init). Each profile runs under init({ tuning }) on the same device; the peers
                      run once per row, interleaved with the first profile listed (with both: the adapter's own)
  --floor <x>         the ratio every kernel row should reach against the fastest peer (default 3)
  --no-profile        do not profile webgrad's calls on rows under the floor
  --presets <list>    DAR presets (default small,paper)
  --batch <n>         DAR batch size (default 64)
  --dar-steps <n>     timed DAR steps per preset (default 3, after 2 warm-up steps on webgrad and 1 in torch)
  --no-torch          skip the PyTorch side of the DAR section
  --bert-layers <n>   encoder layers of the bert section (default 12)
  --bert-batch <n>    its batch size (default 32; T = 50)
  --kernels <list>    matmul ladder kernels (default: all but 'naive')
  --groups <list>     areas row groups (default: all)
  --save / --no-save  write the results JSON and bench/RESULTS.md (default: only on a full run)
  --runtime <name>    browser (default) or node: webgrad's own rows on Dawn in this Node process (the 'webgpu'
                      package); tfjs is browser-only (its column says so), ORT is tried (its wasm CPU column
                      runs), jax-js runs its WebGPU backend on the same Dawn
  --browser-flags <l> Chromium flags for precise GPU timestamps, comma-separated (default: ${PRECISE_TIMESTAMPS.join(',')};
                      'none' for none); the run prints the timestamp resolution it got
  --results-dir <d>   where saved results go: <d>/results/<date>-<adapter>.json and <d>/RESULTS.md (default bench)
  --report <file>     regenerate the file's adapter section of bench/RESULTS.md from a saved results JSON and exit
  -h, --help          show this help

Environment:
  WEBGRAD_CHROME      path to a Chrome/Chromium executable (otherwise the system one is used)
  WEBGRAD_PYTHON      Python for the torch side (default /usr/bin/python3); TORCH_THREADS (default: all cores)
`;

/** A result is right when every element is within 1e-4 of the largest reference magnitude (float32, K ≤ 512). */
const TOLERANCE = 1e-4;
/** The same for the registry's and the comparison's rows, which include whole forward + backward passes. */
const ROW_TOLERANCE = 1e-3;

/** A bad command line: reported as a message, exit code 2. */
class UsageError extends Error {}

const log = (s = '') => console.log(s);

export async function main(www: string, argv: string[], root = process.cwd()): Promise<number> {
  try {
    return await bench(www, argv, root);
  } catch (e) {
    if (!(e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) throw e;
    console.error(`${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
}

function pkgVersion(root: string, name: string): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

const list = (s: string | undefined) =>
  s
    ? s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : undefined;

async function bench(www: string, argv: string[], root: string): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' },
      filter: { type: 'string' },
      quick: { type: 'boolean' },
      runs: { type: 'string' },
      'target-ms': { type: 'string' },
      'budget-ms': { type: 'string' },
      peers: { type: 'string' },
      floor: { type: 'string', default: '3' },
      'no-profile': { type: 'boolean' },
      presets: { type: 'string' },
      batch: { type: 'string', default: '64' },
      'dar-steps': { type: 'string' },
      'bert-layers': { type: 'string' },
      'bert-batch': { type: 'string' },
      'no-torch': { type: 'boolean' },
      kernels: { type: 'string' },
      groups: { type: 'string' },
      save: { type: 'boolean' },
      'no-save': { type: 'boolean' },
      report: { type: 'string' },
      runtime: { type: 'string' },
      tuning: { type: 'string' },
      'browser-flags': { type: 'string' },
      'results-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.report) {
    const file = path.resolve(values.report);
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchResults;
    log(`wrote ${path.relative(root, writeMarkdown(path.join(root, 'bench'), r, file))}`);
    return 0;
  }
  const quick = !!values.quick;
  const runs = Number(values.runs ?? (quick ? 3 : 5));
  const targetMs = Number(values['target-ms'] ?? (quick ? 150 : 300));
  const floor = Number(values.floor);
  const batch = Number(values.batch);
  const budgetMs = Number(values['budget-ms'] ?? (quick ? 1500 : 4000));
  const darSteps = Number(values['dar-steps'] ?? 3);
  if (!Number.isInteger(runs) || runs < 1)
    throw new UsageError(`--runs must be a positive integer, got ${values.runs}`);
  if (!(targetMs > 0)) throw new UsageError(`--target-ms must be a positive number, got ${values['target-ms']}`);
  if (!(budgetMs > 0)) throw new UsageError(`--budget-ms must be a positive number, got ${values['budget-ms']}`);
  if (!(floor > 0)) throw new UsageError(`--floor must be a positive number, got ${values.floor}`);
  if (!Number.isInteger(batch) || batch < 2)
    throw new UsageError(`--batch must be an integer ≥ 2, got ${values.batch}`);
  if (!Number.isInteger(darSteps) || darSteps < 1)
    throw new UsageError(`--dar-steps must be a positive integer, got ${values['dar-steps']}`);
  const filters = list(values.filter)?.map((f) => f.toLowerCase());
  const onlyArg = list(values.only);
  const SECTIONS = ['ladder', 'compare', 'dar', 'areas', 'bert'];
  const sections = onlyArg?.includes('all')
    ? SECTIONS
    : (onlyArg ?? (filters ? ['compare'] : ['ladder', 'compare', 'dar']));
  for (const s of sections)
    if (!SECTIONS.includes(s)) throw new UsageError(`unknown section ${s}; the sections are ${SECTIONS.join(', ')}`);
  const peerArg = list(values.peers) ?? [...PEERS];
  const peers = (peerArg.includes('none') ? [] : peerArg) as PeerName[];
  for (const p of peers)
    if (!PEERS.includes(p)) throw new UsageError(`unknown peer ${p}; the peers are ${PEERS.join(', ')}`);
  const tuningArg = values.tuning;
  if (tuningArg !== undefined && !['cpu', 'gpu', 'both'].includes(tuningArg))
    throw new UsageError(`--tuning must be cpu, gpu or both, got ${tuningArg}`);
  const presets = list(values.presets) ?? (quick ? ['small'] : ['small', 'paper']);
  for (const p of presets)
    if (p !== 'small' && p !== 'paper') throw new UsageError(`unknown DAR preset ${p}; the presets are small, paper`);
  // A Node run never replaces the browser results in bench/RESULTS.md unless --save asks.
  const full =
    values.runtime !== 'node' &&
    !filters &&
    !quick &&
    !onlyArg &&
    !values.runs &&
    !values['target-ms'] &&
    !values['budget-ms'];
  const save = values['no-save'] ? false : values.save ? true : full;
  const matches = (group: string, label: string) =>
    !filters || filters.some((f) => `${group} ${label}`.toLowerCase().includes(f));

  const runtime = values.runtime ?? 'browser';
  if (runtime !== 'browser' && runtime !== 'node')
    throw new UsageError(`--runtime must be browser or node, got ${runtime}`);
  let launched;
  try {
    const flagArg = list(values['browser-flags']) ?? PRECISE_TIMESTAMPS;
    const extraArgs = flagArg.includes('none') ? [] : flagArg;
    launched =
      runtime === 'node'
        ? await launchNode(www)
        : await launchBrowser({
            extraArgs,
            // A BERT-base step on a CPU keeps the renderer waiting on the GPU process for longer than the default
            // 10 minutes (even a poll of the page then times out): give that section hours.
            protocolTimeoutMs: sections.includes('bert') ? 4 * 3_600_000 : undefined,
          });
  } catch (e) {
    if (!(e instanceof BrowserNotFoundError)) throw e;
    console.error(e.message);
    return 1;
  }
  const server = await serveDir(www);
  let failures = 0;
  const loadStart = os.loadavg();
  const results: BenchResults = {
    date: new Date().toISOString().slice(0, 10),
    adapter: '',
    browser: `${launched.executablePath} ${launched.args.join(' ')}`,
    versions: {
      webgrad: JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version,
      ...(peers.includes('tfjs')
        ? {
            '@tensorflow/tfjs': pkgVersion(root, '@tensorflow/tfjs'),
            '@tensorflow/tfjs-backend-webgpu': pkgVersion(root, '@tensorflow/tfjs-backend-webgpu'),
          }
        : {}),
      ...(peers.includes('ort') ? { 'onnxruntime-web': pkgVersion(root, 'onnxruntime-web') } : {}),
      ...(peers.includes('jax') ? { '@jax-js/jax': pkgVersion(root, '@jax-js/jax') } : {}),
    },
    peers: {},
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', loadStart, loadEnd: [] },
    options: {
      runs,
      targetMs,
      budgetMs,
      sections,
      filters: filters ?? null,
      peers,
      tuning: tuningArg ?? 'adapter',
      presets,
      batch,
      darSteps,
      quick,
      method:
        `warm-up (which sizes each run to ~${targetMs} ms of back-to-back calls), then ${runs} interleaved rounds ` +
        `(webgrad, tfjs, ORT, jax, webgrad, ...; an implementation past ${budgetMs} ms of timing stops after 2); a run ends with that framework's submit and a wait for its GPU queue`,
    },
    floor,
    ladder: [],
    compare: [],
    areas: [],
    dar: [],
  };
  try {
    const page = await launched.browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String((e as Error).message ?? e)));
    page.on('console', (m) => {
      // ORT logs its refusal of a graph that needs CPU fallback (peers/ort.ts then retries with fallback allowed).
      if (m.type() === 'error' && !m.text().includes('fallback to CPU EP has been explicitly disabled'))
        pageErrors.push(m.text());
    });
    const checkPage = () => {
      if (pageErrors.length) throw new Error(`page reported errors: ${pageErrors.splice(0).join('\n')}`);
    };
    await page.goto(`${server.url}bench.html`);
    await page.waitForFunction('globalThis.bench !== undefined', { timeout: 60_000 });
    const info = (await page.evaluate('globalThis.bench.ready')) as {
      adapter: AdapterSummary;
      description: string;
      tuning: Tuning;
      kernels: string[];
      ladder: BenchCase[];
    };
    results.adapter = info.description;
    // The profiles to run, the first one primary (ratios, floor, profiles): with both, the adapter's own first.
    const own = info.tuning.profile;
    const profiles: (TuningProfile | null)[] =
      tuningArg === 'both' ? [own, own === 'cpu' ? 'gpu' : 'cpu'] : tuningArg ? [tuningArg as TuningProfile] : [null];
    results.tuning = { adapter: `${own} (${info.tuning.reason})`, profiles: profiles.map((p) => p ?? own) };
    const kernels = list(values.kernels) ?? (quick ? ['tiled'] : info.kernels.filter((k) => k !== 'naive'));
    for (const k of kernels)
      if (!info.kernels.includes(k))
        throw new UsageError(`unknown kernel ${k}; the ladder is ${info.kernels.join(', ')}`);
    const hasTimestamps = info.adapter.features.includes('timestamp-query');
    const res = (await page.evaluate('globalThis.bench.timestampResolution()')) as {
      quantumNs: number;
      stepNs: number;
    } | null;
    results.timestamps = res
      ? `every value a multiple of ${res.quantumNs} ns; finest step ${res.stepNs} ns` +
        (res.quantumNs >= 65536 ? ' (QUANTIZED)' : '')
      : 'no timestamp-query';

    log('webgrad benchmark');
    log(`adapter:  ${info.description}`);
    log(`browser:  ${results.browser}`);
    log(`timestamps: ${results.timestamps}`);
    // SwiftShader runs the kernels on the CPU cores, so other load on the machine shows up directly in the numbers.
    log(
      `machine:  ${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? 'unknown'}), load average ` +
        `${loadStart.map((x) => x.toFixed(2)).join(' / ')} (1/5/15 min) at start`,
    );
    log(`timing:   ${results.options.method};`);
    log(
      `          median [min–max] over the rounds; wall = wall clock, gpu = ` +
        (hasTimestamps
          ? 'timestamp-query span of the same run (per framework, on its own queue)'
          : 'n/a (adapter has no timestamp-query)'),
    );
    log(
      `tuning:   the adapter's is ${own} (${info.tuning.reason}); ` +
        (tuningArg ? `running ${profiles.join(', ')} under init({ tuning })` : 'running it as chosen'),
    );
    log(`sections: ${sections.join(', ')}${filters ? `; rows matching ${filters.join(' | ')}` : ''}`);

    if (sections.includes('ladder')) {
      const r = await matmulTable(page, info.ladder, kernels, runs, targetMs, checkPage);
      results.ladder = r.records;
      failures += r.failures;
    }

    if (sections.includes('compare')) {
      if (peers.length) {
        const peerInfo = (await page.evaluate(`globalThis.bench.initPeers(${JSON.stringify(peers)})`)) as Partial<
          Record<PeerName, PeerInfo>
        >;
        checkPage();
        // jax-js exports no version: the driver reads it from its package.json.
        if (peerInfo.jax && !peerInfo.jax.error) peerInfo.jax.version = pkgVersion(root, '@jax-js/jax');
        results.peers = peerInfo;
        for (const [name, p] of Object.entries(peerInfo)) {
          log(
            `peer:     ${name} ${
              p.error
                ? `FAILED TO LOAD: ${p.error.split('\n')[0]}`
                : `${p.version}; adapter ${p.adapter}; timestamps ${p.timestamps ? 'yes' : 'no'}; ${JSON.stringify(p.flags)}`
            }`,
          );
        }
      }
      log(
        `versions: ${Object.entries(results.versions)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
      const r = await compareTable(page, {
        runs,
        targetMs,
        budgetMs,
        peers,
        profiles,
        floor,
        profile: !values['no-profile'],
        matches,
        checkPage,
        takeErrors: () => pageErrors.splice(0),
      });
      results.compare = r.records;
      failures += r.failures;
    }

    if (sections.includes('areas')) {
      const rows = (await page.evaluate('globalThis.bench.rows()')) as KernelBenchInfo[];
      const groups = list(values.groups) ?? [...new Set(rows.map((r) => r.group))];
      const known = new Set(rows.map((r) => r.group));
      for (const g of groups)
        if (!known.has(g)) throw new UsageError(`unknown group ${g}; the groups are ${[...known].join(', ')}`);
      const picked = rows
        .map((r, i) => ({ ...r, i }))
        .filter((r) => groups.includes(r.group) && matches(r.group, r.label));
      const r = await areasTable(page, picked, runs, targetMs, checkPage);
      results.areas = r.records;
      failures += r.failures;
    }
    await page.close();

    if (sections.includes('dar')) {
      results.dar = await darSection(launched.browser, server.url, root, {
        presets,
        batch,
        steps: darSteps,
        torch: !values['no-torch'],
        profiles,
      });
    }

    if (sections.includes('bert')) {
      const layers = Number(values['bert-layers'] ?? 12);
      const B = Number(values['bert-batch'] ?? 32);
      if (![layers, B].every((n) => Number.isInteger(n) && n >= 1))
        throw new UsageError('--bert-layers and --bert-batch must be positive integers');
      await bertSection(launched.browser, server.url, B, layers);
    }

    if (failures) log(`\n${failures} result(s) did not match the float64 reference`);
  } finally {
    await launched.close();
    await server.close();
  }
  results.machine.loadEnd = os.loadavg();
  log(`\nload average at end: ${results.machine.loadEnd.map((x) => x.toFixed(2)).join(' / ')}`);
  if (save) {
    const dir = path.resolve(values['results-dir'] ?? path.join(root, 'bench'));
    const file = saveResults(dir, results);
    const md = writeMarkdown(dir, results, file);
    log(`wrote ${path.relative(root, file)} and ${path.relative(root, md)}`);
  } else if (!full) {
    log('(partial run: results not saved; pass --save to write them)');
  }
  return failures ? 1 : 0;
}

// ------------------------------------------------------------------------------------------------------------ ladder

async function matmulTable(
  page: Page,
  ladder: BenchCase[],
  kernels: string[],
  runs: number,
  targetMs: number,
  checkPage: () => void,
): Promise<{ failures: number; records: LadderRecord[] }> {
  let failures = 0;
  const records: LadderRecord[] = [];
  log('');
  log('matmul ladder (webgrad): GFLOP/s = 2·M·N·K / time per matmul');
  const header = `${'shape'.padEnd(52)} ${'kernel'.padEnd(7)} ${'wall GFLOP/s'.padEnd(22)} ${'gpu GFLOP/s'.padEnd(22)} ${'ms/op'.padStart(8)}  check`;
  log(header);
  log('-'.repeat(header.length + 12));
  for (const [index, c] of ladder.entries()) {
    for (const kernel of kernels) {
      const r = (await page.evaluate(
        `globalThis.bench.runLadder(${JSON.stringify(kernel)}, ${index}, ${runs}, ${targetMs})`,
      )) as BenchResult;
      checkPage();
      const ok = r.maxErr <= TOLERANCE * Math.max(1, r.scale);
      if (!ok) failures++;
      const g = (ms: number[]) => stats(ms.map((t) => (2 * c.M * c.N * c.K) / (t * 1e6)));
      const wall = g(r.wallMs);
      const gpu = r.gpuMs ? g(r.gpuMs) : null;
      records.push({
        shape: c.label.replace(/\s+/g, ' '),
        kernel,
        M: c.M,
        K: c.K,
        N: c.N,
        wallGflops: wall,
        gpuGflops: gpu,
        ok,
      });
      const cell = (s: typeof wall | null) => (s ? `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}]` : 'n/a');
      log(
        `${c.label.padEnd(52)} ${kernel.padEnd(7)} ${cell(wall).padEnd(22)} ${cell(gpu).padEnd(22)} ` +
          `${stats(r.wallMs).median.toFixed(1).padStart(8)}  ${ok ? 'ok' : 'MISMATCH'} (max err ${r.maxErr.toExponential(1)})`,
      );
    }
  }
  return { failures, records };
}

// ----------------------------------------------------------------------------------------------------------- compare

async function compareTable(
  page: Page,
  o: {
    runs: number;
    targetMs: number;
    budgetMs: number;
    peers: PeerName[];
    profiles: (TuningProfile | null)[];
    floor: number;
    profile: boolean;
    matches: (g: string, l: string) => boolean;
    checkPage: () => void;
    takeErrors: () => string[];
  },
): Promise<{ failures: number; records: CompareRecord[] }> {
  const rows = ((await page.evaluate('globalThis.bench.compareRows()')) as CompareInfo[])
    .map((r, i) => ({ ...r, i }))
    .filter((r) => o.matches(r.group, r.label));
  const impls = ['webgrad', ...o.peers];
  let failures = 0;
  const records: CompareRecord[] = [];
  log('');
  log(
    `webgrad vs peers: ms per call, median [min–max]; ratio = peer / webgrad (wall medians; > 1: webgrad faster); floor ${o.floor}×`,
  );
  const header = `${'row'.padEnd(58)} ${'impl'.padEnd(8)} ${'wall ms/call'.padEnd(26)} ${'gpu ms'.padStart(9)} ${'GFLOP/s'.padStart(8)} ${'ratio'.padStart(7)}  check`;
  log(header);
  log('-'.repeat(header.length + 20));
  const useTuning = (p: TuningProfile | null) =>
    p ? page.evaluate(`globalThis.bench.useTuning(${JSON.stringify(p)})`) : Promise.resolve();
  const toRecord = (x: ImplResult): ImplRecord => {
    const ir: ImplRecord = { ...x, ok: x.relErr !== undefined ? x.relErr <= ROW_TOLERANCE : undefined };
    if (x.wallMs?.length) ir.wall = stats(x.wallMs);
    if (x.gpuMs?.length) ir.gpu = stats(x.gpuMs);
    if (ir.ok === false) failures++;
    return ir;
  };
  for (const row of rows) {
    const t0 = Date.now();
    // Each profile in turn under init({ tuning }); the peers run with the first (primary) one only.
    const r: Record<string, ImplResult> = {};
    const tuned: Record<string, ImplResult> = {};
    for (const [k, p] of o.profiles.entries()) {
      await useTuning(p);
      const x = await compareRow(page, row.i, k === 0 ? impls : ['webgrad'], { ...o, peers: k === 0 ? o.peers : [] });
      if (k === 0) Object.assign(r, x);
      if (p) tuned[p] = x.webgrad ?? { missing: 'not run' };
    }
    const rec: CompareRecord = {
      group: row.group,
      label: row.label,
      flops: row.flops,
      checks: row.checks,
      impls: {},
      ratio: {},
      gpuRatio: {},
      fastestRatio: null,
      fastestPeer: null,
    };
    if (o.profiles[0]) {
      // webgrad's record is the primary profile's (the one the peers were interleaved with).
      rec.tuned = Object.fromEntries(Object.entries(tuned).map(([p, x]) => [p, toRecord(x)]));
      rec.impls.webgrad = rec.tuned[o.profiles[0]];
    }
    for (const name of impls) if (!rec.impls[name]) rec.impls[name] = toRecord(r[name] ?? { missing: 'not run' });
    const wg = rec.impls.webgrad;
    for (const p of o.peers) {
      const pr = rec.impls[p];
      if (!wg.wall || !pr?.wall || !wg.ok || !pr.ok) continue;
      rec.ratio[p] = pr.wall.median / wg.wall.median;
      (rec.minRatio ??= {})[p] = pr.wall.min / wg.wall.min;
      if (wg.gpu && pr.gpu) rec.gpuRatio[p] = pr.gpu.median / wg.gpu.median;
      if (rec.fastestRatio === null || rec.ratio[p] < rec.fastestRatio) {
        rec.fastestRatio = rec.ratio[p];
        rec.fastestPeer = p;
      }
    }
    // One line per implementation; with --tuning, one per profile for webgrad ('wg[gpu]': its ratio column is the
    // fastest peer's time over this profile's).
    const lines: [string, ImplRecord][] = impls.flatMap((name): [string, ImplRecord][] =>
      name === 'webgrad' && rec.tuned
        ? Object.entries(rec.tuned).map(([p, ir]): [string, ImplRecord] => [`wg[${p}]`, ir])
        : [[name, rec.impls[name]]],
    );
    const fastestMs = rec.fastestPeer ? rec.impls[rec.fastestPeer].wall!.median : null;
    let first = true;
    for (const [name, ir] of lines) {
      const lead = (first ? `${row.group} ${row.label}` : '').padEnd(58);
      first = false;
      if (!ir.wall) {
        log(`${lead} ${name.padEnd(8)} ${ir.missing ? `n/a: ${ir.missing}` : `ERROR: ${ir.error ?? 'no timing'}`}`);
        continue;
      }
      const w = ir.wall;
      const rate = row.flops ? fmt(row.flops / (w.median * 1e6)) : '–';
      const ratio = name.startsWith('wg[')
        ? fastestMs !== null && ir.ok
          ? `${(fastestMs / w.median).toFixed(2)}×`
          : '–'
        : name === 'webgrad'
          ? ''
          : rec.ratio[name] !== undefined
            ? `${rec.ratio[name].toFixed(2)}×`
            : '–';
      log(
        `${lead} ${name.padEnd(8)} ${`${fmt(w.median)} [${fmt(w.min)}–${fmt(w.max)}]`.padEnd(26)} ${(ir.gpu ? fmt(ir.gpu.median) : 'n/a').padStart(9)} ` +
          `${rate.padStart(8)} ${ratio.padStart(7)}  ${ir.ok ? 'ok' : 'MISMATCH'} (rel err ${ir.relErr!.toExponential(1)})${ir.note ? `; ${ir.note}` : ''}`,
      );
    }
    const below = rec.fastestRatio !== null && rec.fastestRatio < o.floor;
    if (rec.fastestRatio !== null) {
      log(
        `${''.padEnd(58)} → fastest peer ${rec.fastestPeer}: ${rec.fastestRatio.toFixed(2)}× ${below ? `BELOW the ${o.floor}× floor` : '(meets the floor)'}` +
          `  [${((Date.now() - t0) / 1000).toFixed(0)} s]`,
      );
    }
    if (below && o.profile) {
      await useTuning(o.profiles[0]);
      const p = (await page.evaluate(`globalThis.bench.profileCompare(${row.i})`)) as Profile | null;
      o.checkPage();
      rec.profile = p;
      if (p)
        log(
          formatProfile(p, 6)
            .split('\n')
            .map((l) => `${''.padEnd(60)}${l}`)
            .join('\n'),
        );
    }
    records.push(rec);
  }
  // Summary of the ratios.
  if (records.length) {
    log('');
    log(`ratio summary (peer time / webgrad time, wall medians; floor ${o.floor}× against the fastest peer)`);
    log(
      `${'row'.padEnd(70)} ${o.peers.map((p) => p.padStart(8)).join(' ')} ${'fastest'.padStart(8)} ${'best-rnd'.padStart(8)}  floor`,
    );
    for (const rec of records) {
      log(
        `${`${rec.group} ${rec.label}`.padEnd(70)} ${o.peers.map((p) => (rec.ratio[p] !== undefined ? `${rec.ratio[p].toFixed(2)}×` : '–').padStart(8)).join(' ')} ` +
          `${(rec.fastestRatio !== null ? `${rec.fastestRatio.toFixed(2)}×` : '–').padStart(8)} ` +
          `${(rec.fastestPeer && rec.minRatio?.[rec.fastestPeer] !== undefined ? `${rec.minRatio[rec.fastestPeer].toFixed(2)}×` : '–').padStart(8)}  ${rec.fastestRatio === null ? '–' : rec.fastestRatio >= o.floor ? 'ok' : 'BELOW'}`,
      );
    }
  }
  return { failures, records };
}

/**
 * Runs one comparison row phase by phase (one page.evaluate each, so no single call outlasts the protocol timeout):
 * set up, check every implementation, warm each up, then interleaved rounds. An implementation whose warm call alone
 * exceeds the budget gets that call as its only sample; one past the budget stops after 2 rounds. Page errors during
 * an implementation's phase are charged to that implementation.
 */
async function compareRow(
  page: Page,
  index: number,
  impls: string[],
  o: { runs: number; targetMs: number; budgetMs: number; peers: PeerName[]; takeErrors: () => string[] },
): Promise<Record<string, ImplResult>> {
  const r = (await page.evaluate(`globalThis.bench.compareSetup(${index}, ${JSON.stringify(o.peers)})`)) as Record<
    string,
    ImplResult
  >;
  const setupErrors = o.takeErrors();
  if (setupErrors.length) throw new Error(`page reported errors: ${setupErrors.join('\n')}`);
  const live = impls.filter((n) => r[n] && !r[n].missing && !r[n].error);
  const phase = async <T>(name: string, expr: string): Promise<T | null> => {
    try {
      const v = (await page.evaluate(expr)) as T;
      const errs = o.takeErrors();
      if (errs.length) throw new Error(errs.join('\n'));
      return v;
    } catch (e) {
      r[name].error = String((e as Error).message ?? e)
        .split('\n')
        .slice(0, 3)
        .join(' | ')
        .slice(0, 400);
      live.splice(live.indexOf(name), 1);
      return null;
    }
  };
  try {
    for (const n of [...live]) {
      const c = await phase<{ relErr: number; firstMs: number }>(
        n,
        `globalThis.bench.compareCheck(${JSON.stringify(n)})`,
      );
      if (c) Object.assign(r[n], c);
    }
    const spent = new Map<string, number>();
    const slow = new Set<string>();
    for (const n of [...live]) {
      const w = await phase<{ inner: number; onceMs: number }>(
        n,
        `globalThis.bench.compareWarm(${JSON.stringify(n)}, ${o.targetMs})`,
      );
      if (!w) continue;
      r[n].inner = w.inner;
      r[n].wallMs = [];
      r[n].gpuMs = null;
      if (w.onceMs > o.budgetMs) {
        slow.add(n);
        r[n].wallMs = [w.onceMs];
        r[n].note = [
          r[n].note,
          `one warm call timed (${(w.onceMs / 1000).toFixed(1)} s, over the ${o.budgetMs} ms budget)`,
        ]
          .filter(Boolean)
          .join('; ');
      }
    }
    for (let round = 0; round < o.runs; round++) {
      for (const n of [...live]) {
        if (slow.has(n) || (round >= 2 && (spent.get(n) ?? 0) > o.budgetMs)) continue;
        const x = await phase<{ wallMs: number; gpuMs: number | null }>(
          n,
          `globalThis.bench.compareRound(${JSON.stringify(n)})`,
        );
        if (!x) continue;
        r[n].wallMs!.push(x.wallMs);
        if (x.gpuMs !== null) (r[n].gpuMs ??= []).push(x.gpuMs);
        spent.set(n, (spent.get(n) ?? 0) + x.wallMs * (r[n].inner ?? 1));
      }
    }
  } finally {
    await page.evaluate('globalThis.bench.compareEnd()');
    o.takeErrors();
  }
  return r;
}

// ------------------------------------------------------------------------------------------------------------- areas

async function areasTable(
  page: Page,
  picked: (KernelBenchInfo & { i: number })[],
  runs: number,
  targetMs: number,
  checkPage: () => void,
): Promise<{ failures: number; records: unknown[] }> {
  let failures = 0;
  const records: unknown[] = [];
  if (!picked.length) return { failures, records };
  log('');
  log('webgrad-only rows (bench/registry.ts)');
  const header =
    `${'group'.padEnd(12)} ${'row'.padEnd(44)} ${'wall ms/call'.padEnd(24)} ${'gpu ms/call'.padEnd(12)} ` +
    `${'GFLOP/s'.padStart(8)} ${'GB/s'.padStart(8)}  check`;
  log(header);
  log('-'.repeat(header.length + 16));
  for (const row of picked) {
    const r = (await page.evaluate(`globalThis.bench.runRow(${row.i}, ${runs}, ${targetMs})`)) as KernelBenchResult;
    checkPage();
    const ok = r.relErr <= ROW_TOLERANCE;
    if (!ok) failures++;
    const wall = stats(r.wallMs);
    const gpu = r.gpuMs ? stats(r.gpuMs) : null;
    const rate = (amount: number | undefined) => (amount ? fmt(amount / (wall.median * 1e6)) : '–');
    records.push({ group: row.group, label: row.label, wall, gpu, relErr: r.relErr, ok });
    log(
      `${row.group.padEnd(12)} ${row.label.padEnd(44)} ${`${fmt(wall.median)} [${fmt(wall.min)}–${fmt(wall.max)}]`.padEnd(24)} ` +
        `${(gpu ? fmt(gpu.median) : 'n/a').padEnd(12)} ${rate(row.flops).padStart(8)} ${rate(row.bytes).padStart(8)}  ` +
        `${ok ? 'ok' : 'MISMATCH'} (rel err ${r.relErr.toExponential(1)})`,
    );
  }
  return { failures, records };
}

// --------------------------------------------------------------------------------------------------------------- DAR

const PYTHON = process.env.WEBGRAD_PYTHON ?? '/usr/bin/python3';

/** Runs bench/torch_dar_step.py; resolves to its JSON, or to a reason it was skipped. */
function torchStep(
  root: string,
  config: unknown,
  batch: number,
  steps: number,
): Promise<{ ok: true; r: NonNullable<DarRecord['torch']> } | { ok: false; why: string }> {
  const script = path.join(root, 'bench', 'torch_dar_step.py');
  return new Promise((resolve) => {
    execFile(PYTHON, ['-c', 'import torch'], { timeout: 60_000 }, (err) => {
      if (err) {
        resolve({
          ok: false,
          why: `PyTorch not available (${PYTHON} -c 'import torch' failed; on Debian: apt-get install python3-torch)`,
        });
        return;
      }
      execFile(
        PYTHON,
        [script, JSON.stringify(config), String(batch), String(steps), '1'],
        { timeout: 900_000, maxBuffer: 1 << 20 },
        (e, stdout, stderr) => {
          if (e) {
            resolve({
              ok: false,
              why: `torch_dar_step.py failed: ${(stderr || String(e)).trim().split('\n').slice(-3).join(' | ')}`,
            });
            return;
          }
          try {
            resolve({ ok: true, r: JSON.parse(stdout.trim().split('\n').pop()!) });
          } catch {
            resolve({ ok: false, why: `torch_dar_step.py printed no JSON: ${stdout.slice(0, 200)}` });
          }
        },
      );
    });
  });
}

/** The bert section: bench/bert-step.ts on a fresh page; printed only (not part of the saved results). */
async function bertSection(browser: import('puppeteer').Browser, url: string, B: number, layers: number) {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String((e as Error).message ?? e)));
  page.on('console', (m) => m.text().startsWith('bert: ') && log(`  ${m.text()}`)); // each number as it comes
  try {
    await page.goto(`${url}dar.html`);
    await page.waitForFunction('globalThis.darBench !== undefined', { timeout: 60_000 });
    const { description } = (await page.evaluate('globalThis.darBench.ready')) as { description: string };
    log(`\nBERT-base shapes, ${layers} layers, B = ${B}, T = 50; ${description}`);
    // Started, then polled: one call may outlast the browser's 10-minute protocol timeout on a CPU.
    await page.evaluate(
      `globalThis.darBench.bert(${JSON.stringify({ B, layers })}).then((r) => (globalThis.bertDone = { r }), (e) => (globalThis.bertDone = { e: String(e) }))`,
    );
    await page.waitForFunction('globalThis.bertDone !== undefined', { timeout: 0, polling: 5000 });
    const done = (await page.evaluate('globalThis.bertDone')) as { r?: BertStepResult; e?: string };
    if (!done.r) throw new Error(done.e);
    const r = done.r;
    if (errors.length) throw new Error(errors.join('\n'));
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
    log('');
    log(
      `BERT (hidden 768, 12 heads, ${r.layers} layers, ${r.parameters} parameters), B = ${r.B}, T = ${r.T}; ${description}`,
    );
    log(
      `  forward ${fmt(r.forwardMs)} ms; forward + backward ${fmt(r.forwardBackwardMs)} ms; AdamW step ${fmt(r.adamMs)} ms`,
    );
    log(`  (${r.dispatchesPerStep} dispatches for forward + backward + AdamW)`);
    log(
      `  memory: weights ${mib(r.weightsBytes)}, AdamW state ${mib(r.adamBytes)}, activations after the forward ` +
        `${mib(r.activationBytes)}, gradients ${mib(r.gradientBytes)}; the runtime holds ${mib(r.allocatedBytes)} (live + pool)`,
    );
  } catch (e) {
    log(`  bert: ERROR ${String((e as Error).message ?? e).slice(0, 500)}`);
  } finally {
    await page.close();
  }
}

async function darSection(
  browser: import('puppeteer').Browser,
  url: string,
  root: string,
  o: { presets: string[]; batch: number; steps: number; torch: boolean; profiles: (TuningProfile | null)[] },
): Promise<DarRecord[]> {
  const { batch, steps } = o;
  const records: DarRecord[] = [];
  log('');
  log(
    `DAR training step (synthetic MOSI shapes, batch ${batch}; CLUB inner steps + L_total forward/backward + AdamW): samples/s`,
  );
  for (const preset of o.presets) {
    // One record per profile (one with the adapter's choice when --tuning is not given); torch runs once per preset.
    const recs: DarRecord[] = [];
    for (const tuning of o.profiles) {
      const rec: DarRecord = { preset, batch, ...(tuning ? { tuning } : {}) };
      const tag = `${preset}${tuning ? `[${tuning}]` : ''}`.padEnd(11);
      // A fresh page (and GPU device) per preset and profile.
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String((e as Error).message ?? e)));
      try {
        await page.goto(`${url}dar.html`);
        await page.waitForFunction('globalThis.darBench !== undefined', { timeout: 60_000 });
        await page.evaluate('globalThis.darBench.ready');
        const spec = { preset, batch, steps, warmup: 2, profile: true, ...(tuning ? { tuning } : {}) };
        const r = (await page.evaluate(`globalThis.darBench.step(${JSON.stringify(spec)})`)) as DarStepResult;
        if (errors.length) throw new Error(errors.join('\n'));
        rec.webgrad = r;
        log(
          `  webgrad ${tag} ${fmt(r.msPerStep)} ms/step = ${fmt(r.samplesPerSec)} samples/s  (first step ${fmt(r.firstStepMs)} ms; ` +
            `${fmt(r.dispatchesPerStep)} dispatches, ${fmt(r.submitsPerStep)} submits per step; ${r.parameters} parameters)`,
        );
        if (r.profile)
          log(
            formatProfile(r.profile)
              .split('\n')
              .map((l) => `    ${l}`)
              .join('\n'),
          );
      } catch (e) {
        rec.webgradError = String((e as Error).message ?? e).slice(0, 500);
        log(`  webgrad ${tag}: ERROR ${rec.webgradError}`);
      } finally {
        await page.close();
      }
      recs.push(rec);
    }
    let torch: DarRecord['torch'] = null;
    let torchSkipped: string | undefined = '--no-torch';
    if (o.torch) {
      const config = darConfig(preset as 'small' | 'paper', MOSI_DIMS, { seed: 1 });
      const t = await torchStep(root, config, batch, steps);
      if (t.ok) {
        torch = t.r;
        torchSkipped = undefined;
        log(
          `  torch   ${preset.padEnd(11)} ${fmt(t.r.msPerStep)} ms/step = ${fmt(t.r.samplesPerSec)} samples/s  (PyTorch ${t.r.torch}, ` +
            `${t.r.threads} threads${t.r.device ? `, ${t.r.device}` : ''}, ${t.r.parameters} parameters)`,
        );
      } else {
        torchSkipped = t.why;
        log(`  torch   ${preset.padEnd(11)} skipped: ${t.why}`);
      }
    }
    for (const rec of recs) {
      if (torch) rec.torch = torch;
      else rec.torchSkipped = torchSkipped;
      rec.ratio = rec.webgrad && rec.torch ? rec.webgrad.samplesPerSec / rec.torch.samplesPerSec : null;
      if (rec.ratio != null)
        log(`  → webgrad${rec.tuning ? `[${rec.tuning}]` : ''} / torch samples/s = ${rec.ratio.toFixed(2)}×`);
      records.push(rec);
    }
  }
  return records;
}
