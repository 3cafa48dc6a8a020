// `npm start`: trains DAR (or the late-fusion baseline) on WebGPU in headless Chrome and prints the robustness table.
//
// Node's part: parse the flags, serve the page, the data file and the checkpoints from a small HTTP server on
// 127.0.0.1, launch Chrome, show a live progress line, write every checkpoint atomically (write, then rename) as the
// page POSTs it, and print / save the results (Table 1 row, per-rate table, JSON). Training and evaluation run in the
// page (src/app/cli/start-page.ts). Bytes (the MMSA pickle, checkpoints) go over HTTP, never through the DevTools protocol.
//
// The pieces, in the order main() uses them: start-options.ts (the command line), start-resume.ts (--resume and the
// output directory), start-server.ts (the server), start-messages.ts (the page ↔ Node messages), start-progress.ts
// (the live output), start-report.ts (the tables, results.json and report.html).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer';
import { BrowserNotFoundError, launchBrowser, type LaunchedBrowser } from '../node/browser';
import { EVAL_RATES, LNLN_EVAL_SEED } from '../data/missing';
import { isMainModule } from '../node/main-module';
import { INTERRUPTED_EXIT_CODE, onInterrupt } from '../node/interrupt';
import type { StartPageOptions, StartPageResult } from './start-page';
import { startRunExpression, type StartMessage } from './start-messages';
import { serveStart, type StartServer } from './start-server';
import { HELP, parseStartArgs, UsageError, type StartOptions } from './start-options';
import { ckptName, lastGoodFile, planResume, prepareOutput, type ResumeEntry } from './start-resume';
import { ProgressPrinter, StatusLine } from './start-progress';
import { interruptedText, reportRun } from './start-report';
import { runInWorker } from './start-node';

// What this module offered before its pieces had files of their own.
export { HELP, parseStartArgs, UsageError, DEFAULT_EPOCHS, DERL_EPOCHS, type StartOptions } from './start-options';
export { lastGoodFile, planResume, type ResumeEntry } from './start-resume';
export { fmtDuration } from './start-progress';
export { formatExpertUsage } from './start-report';

/** The built page files (node build.mjs puts them beside this program). */
function pageDir(): string {
  const www = path.join(path.dirname(fileURLToPath(import.meta.url)), 'www');
  if (!fs.existsSync(path.join(www, 'start.html')))
    throw new Error(`missing ${www}/start.html: run node build.mjs first`);
  return www;
}

/** What the page is told to do: the options, with the server's secret and the resume files by seed. */
function pageOptions(
  opts: StartOptions,
  secret: string,
  resumePlan: ReadonlyMap<number, ResumeEntry>,
): StartPageOptions {
  return {
    token: secret,
    dataset: opts.dataset,
    sharedContent: opts.sharedContent ?? undefined,
    dataUrl: opts.data ? '/data' : undefined,
    dataName: opts.data ? path.basename(opts.data) : undefined,
    model: opts.model,
    preset: opts.preset,
    ablation: opts.ablation,
    textUnk: opts.textUnk,
    textEncoder: opts.textEncoder,
    bert: opts.bert !== null,
    bertLrScale: opts.bertLrScale,
    bertPretrainSteps: opts.bertPretrainSteps,
    seeds: opts.seeds,
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    lr: opts.lr,
    weightDecay: opts.weightDecay,
    trainMissingRate: opts.trainMissingRate ?? -1, // resolved in the page from the data's dims
    halfComplete: opts.halfComplete,
    missingField: opts.missingField,
    trainSubset: opts.trainSubset ?? undefined,
    validSubset: opts.validSubset ?? undefined,
    testSubset: opts.testSubset ?? undefined,
    patience: opts.patience ?? undefined,
    rates: [...EVAL_RATES],
    maskSeed: LNLN_EVAL_SEED,
    resume: [...resumePlan.keys()],
    resumeBest: [...resumePlan.entries()].filter(([, r]) => r.best).map(([s]) => s),
  };
}

/**
 * Ctrl-C from the browser's (or worker's) launch on, so none is left behind: the first asks the page program to end
 * training at its next step and report the best epoch so far (src/app/cli/start-page.ts); a second kills the browser.
 */
class CtrlC {
  requested = false;
  /** Asks the running page program to stop after its step (set once it runs). */
  askToStop: (() => void) | null = null;
  /** Ends the browser or the worker at once. */
  kill: (() => void) | null = null;
  readonly remove: () => void;

  constructor(status: StatusLine) {
    this.remove = onInterrupt({
      stop: () => {
        this.requested = true;
        this.askToStop?.();
      },
      abort: () => this.kill?.(),
      say: (text) => status.print(text),
    });
  }
}

/** The page's errors and console errors, for the message of a failed run. */
function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String((e as Error).message ?? e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  return errors;
}

/**
 * Routes the page's messages: progress to the printer, checkpoint expectations to the server, and the run's outcome
 * to `outcome`. The outcome arrives as a message, not as page.evaluate's result: a training run takes as
 * long as it takes (hours for the paper preset on MOSEI), far beyond any DevTools-protocol call timeout.
 */
async function listen(
  page: Page,
  server: StartServer,
  printer: ProgressPrinter,
): Promise<{ outcome: Promise<StartPageResult> }> {
  let settle!: { resolve: (r: StartPageResult) => void; reject: (e: Error) => void };
  const outcome = new Promise<StartPageResult>((resolve, reject) => (settle = { resolve, reject }));
  await page.exposeFunction('webgradReport', (m: StartMessage) => {
    if (m.kind === 'finished') settle.resolve(m.result);
    else if (m.kind === 'failed') settle.reject(new Error(m.message));
    else if (m.kind === 'expect')
      server.expectCheckpoint(m.expected); // the server refuses any other upload
    else printer.handle(m);
  });
  return { outcome };
}

/** Starts the run in the page and waits for its outcome, or for the page or the browser to go away. */
async function runPage(
  page: Page,
  browser: LaunchedBrowser,
  pageOpts: StartPageOptions,
  outcome: Promise<StartPageResult>,
): Promise<StartPageResult> {
  await page.evaluate(startRunExpression(pageOpts));
  return Promise.race([
    outcome,
    new Promise<never>((_, reject) => {
      page.once('close', () => reject(new Error('the browser page closed during the run')));
      page.once('error', (e) => reject(new Error(`the browser page crashed: ${(e as Error).message}`)));
      browser.browser.once('disconnected', () => reject(new Error('the browser exited during the run')));
    }),
  ]);
}

/** A failed run's error: the first line of its message (all of it with WEBGRAD_DEBUG set), and the page's errors. */
function runError(e: unknown, pageErrors: string[]): Error {
  const lines = String((e as Error).message ?? e).split('\n');
  const msg = process.env.WEBGRAD_DEBUG ? lines.join('\n') : lines[0];
  return new Error(`${msg}${pageErrors.length ? `\npage errors:\n${pageErrors.join('\n')}` : ''}`);
}

/** Says where a diverged run's last good checkpoint is; exit code 1. */
function reportDiverged(
  result: Extract<StartPageResult, { kind: 'diverged' }>,
  out: string,
  resumePlan: ReadonlyMap<number, ResumeEntry>,
): number {
  const good = result.lastGoodEpoch !== null ? lastGoodFile(out, result.seed, result.lastGoodEpoch, resumePlan) : null;
  const ck =
    result.lastGoodEpoch === null
      ? ''
      : good
        ? ` Last good checkpoint (epoch ${result.lastGoodEpoch}): ${good}`
        : ` No checkpoint file of the last good epoch (${result.lastGoodEpoch}) exists.`;
  console.error(`error: ${result.message}${ck}`);
  return 1;
}

/** Prints and saves what the run produced; the exit code (130 after a Ctrl-C). */
async function finish(
  result: StartPageResult,
  opts: StartOptions,
  facts: Parameters<typeof reportRun>[2],
  resumePlan: ReadonlyMap<number, ResumeEntry>,
): Promise<number> {
  if (result.kind === 'diverged') return reportDiverged(result, opts.out, resumePlan);
  const stopped = result.interrupted;
  if (stopped && !result.outcomes.length) {
    console.error(
      `interrupted (Ctrl-C) before the first epoch of seed ${stopped.seed} had finished: no checkpoint and nothing to report`,
    );
    return INTERRUPTED_EXIT_CODE;
  }
  await reportRun(result, opts, facts);
  if (!stopped) return 0;
  console.log(
    `${interruptedText(
      stopped,
      result.outcomes.map((o) => o.seed),
    )}: the report above is partial`,
  );
  return INTERRUPTED_EXIT_CODE;
}

/** What main() hands the runtime that runs the page program. */
interface RunContext {
  opts: StartOptions;
  server: StartServer;
  status: StatusLine;
  ctrlC: CtrlC;
  tStart: number;
  resumePlan: ReadonlyMap<number, ResumeEntry>;
}

/** The page program in headless Chrome/Chromium. */
async function runInBrowser({ opts, server, status, ctrlC, tStart, resumePlan }: RunContext): Promise<number> {
  const launched = await launchBrowser({ handleSIGINT: false });
  ctrlC.kill = () => launched.kill();
  try {
    const page = await launched.browser.newPage();
    ctrlC.askToStop = () => void page.evaluate('globalThis.webgradInterrupt?.()').catch(() => undefined);
    const pageErrors = collectPageErrors(page);
    const printer = new ProgressPrinter(opts, status, tStart, launched.executablePath);
    const { outcome } = await listen(page, server, printer);
    await page.goto(`${server.url}start.html`);
    await page.waitForFunction('globalThis.webgradMain !== undefined');
    if (ctrlC.requested) ctrlC.askToStop();
    for (const [seed, r] of resumePlan)
      status.print(`resuming seed ${seed} from ${r.from}${r.best ? ` (best so far: ${r.best})` : ''}`);
    let result: StartPageResult;
    try {
      result = await runPage(page, launched, pageOptions(opts, server.secret, resumePlan), outcome);
    } catch (e) {
      status.clear();
      throw runError(e, pageErrors);
    }
    status.clear();
    const wallSeconds = (performance.now() - tStart) / 1000;
    return await finish(
      result,
      opts,
      {
        trainMissingRate: printer.trainMissingRate,
        wallSeconds,
        browser: launched.executablePath,
        adapter: printer.adapter,
        runtime: printer.runtime,
      },
      resumePlan,
    );
  } finally {
    await launched.close();
  }
}

/** What results.json and the progress line say in place of a browser's path under --runtime node. */
const NODE_RUNTIME_LABEL = 'none: --runtime node (Dawn in a Node worker thread)';

/** The page program in a Node worker thread on Dawn (src/app/cli/start-node.ts): no browser. */
async function runInNode({ opts, server, status, ctrlC, tStart, resumePlan }: RunContext): Promise<number> {
  const printer = new ProgressPrinter(opts, status, tStart, NODE_RUNTIME_LABEL);
  const run = runInWorker(server.url, pageOptions(opts, server.secret, resumePlan), (m) => {
    if (m.kind === 'expect')
      server.expectCheckpoint(m.expected); // the server refuses any other upload
    else printer.handle(m);
  });
  ctrlC.askToStop = () => run.interrupt();
  ctrlC.kill = () => void run.terminate();
  if (ctrlC.requested) run.interrupt();
  try {
    for (const [seed, r] of resumePlan)
      status.print(`resuming seed ${seed} from ${r.from}${r.best ? ` (best so far: ${r.best})` : ''}`);
    let result: StartPageResult;
    try {
      result = await run.outcome;
    } catch (e) {
      status.clear();
      throw runError(e, []);
    }
    status.clear();
    const wallSeconds = (performance.now() - tStart) / 1000;
    return await finish(
      result,
      opts,
      {
        trainMissingRate: printer.trainMissingRate,
        wallSeconds,
        browser: NODE_RUNTIME_LABEL,
        adapter: printer.adapter,
        runtime: printer.runtime,
      },
      resumePlan,
    );
  } finally {
    await run.terminate();
  }
}

async function main(argv: string[]): Promise<number> {
  const opts = parseStartArgs(argv);
  if (opts.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const tStart = performance.now();
  const www = pageDir();
  const resumePlan = opts.resume ? planResume(opts.resume, opts.seeds, opts) : new Map<number, ResumeEntry>();
  await prepareOutput(opts.out, resumePlan);
  const status = new StatusLine(!!process.stdout.isTTY);
  const server = await serveStart(www, {
    data: opts.data,
    bert: opts.bert,
    resume: resumePlan,
    checkpointPath: (kind, seed) => path.join(opts.out, ckptName(kind, seed)),
  });
  const ctrlC = new CtrlC(status);
  try {
    const ctx = { opts, server, status, ctrlC, tStart, resumePlan };
    return await (opts.runtime === 'node' ? runInNode(ctx) : runInBrowser(ctx));
  } finally {
    ctrlC.remove();
    await server.close();
  }
}

if (isMainModule(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      if (e instanceof UsageError) console.error(`error: ${e.message} (see --help)`);
      else if (e instanceof BrowserNotFoundError) console.error(e.message);
      else console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(e instanceof UsageError ? 2 : 1);
    },
  );
}
