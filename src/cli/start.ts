// `npm start`: trains a model on WebGPU in headless Chrome and prints what happened.
// Until the DAR model lands, this is the toy MLP of the engine foundation: the adapter, a live loss line, the curve.

import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BrowserNotFoundError, launchBrowser } from '../node/browser';
import { serveDir } from '../node/server';
import { describeAdapter, type AdapterSummary } from '../gpu';

const HELP = `Usage: npm start -- [options]

Trains a 2-layer MLP with AdamW on a seeded toy regression, entirely on WebGPU in headless Chrome/Chromium,
and prints the adapter, a live progress line and the loss curve.

Options:
  --steps <n>    optimizer steps (default 600)
  --seed <n>     seed for data and initialisation (default 1)
  -h, --help     show this help

Environment:
  WEBGRAD_CHROME  path to a Chrome/Chromium executable (otherwise the system one is used)
`;

async function main() {
  const { values } = parseArgs({
    options: { steps: { type: 'string', default: '600' }, seed: { type: 'string', default: '1' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const steps = Number(values.steps);
  const seed = Number(values.seed);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer, got ${values.steps}`);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);

  const www = path.join(path.dirname(new URL(import.meta.url).pathname), 'www');
  if (!fs.existsSync(path.join(www, 'start.html'))) throw new Error(`missing ${www}/start.html: run node build.mjs first`);
  const server = await serveDir(www);
  const launched = await launchBrowser();
  const t0 = performance.now();
  try {
    const page = await launched.browser.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${(e as Error).message ?? e}`));
    const curve: [number, number][] = [];
    await page.exposeFunction('webgradReport', (m: { kind: string; adapter?: AdapterSummary; step?: number; loss?: number }) => {
      if (m.kind === 'adapter') {
        console.log(`WebGPU adapter: ${describeAdapter(m.adapter!)}`);
        console.log(`browser: ${launched.executablePath}`);
      } else if (m.kind === 'step') {
        const s = m.step!;
        curve.push([s, m.loss!]);
        const rate = s / ((performance.now() - t0) / 1000);
        const eta = (steps - s) / Math.max(rate, 1e-9);
        if (process.stdout.isTTY) process.stdout.write(`\rstep ${s}/${steps}  loss ${m.loss!.toExponential(3)}  ${rate.toFixed(0)} steps/s  ETA ${eta.toFixed(0)} s   `);
      }
    });
    await page.goto(`${server.url}start.html`);
    await page.waitForFunction('globalThis.webgradMain !== undefined');
    const result = (await page.evaluate(`globalThis.webgradMain(${JSON.stringify({ steps, seed })})`)) as {
      losses: number[];
      stats: { dispatches: number; submits: number; liveBuffers: number };
    };
    if (process.stdout.isTTY) process.stdout.write('\n');
    const losses = result.losses;
    console.log('\nloss curve (MSE, every 10% of training):');
    for (let k = 0; k <= 10; k++) {
      const i = Math.min(losses.length - 1, Math.round((k / 10) * (losses.length - 1)));
      const bar = '#'.repeat(Math.max(1, Math.round(40 * Math.log10(1 + (9 * losses[i]) / losses[0]))));
      console.log(`  step ${String(i + 1).padStart(5)}  ${losses[i].toExponential(3)}  ${bar}`);
    }
    const secs = (performance.now() - t0) / 1000;
    console.log(
      `\nfinal loss ${losses[losses.length - 1].toExponential(3)} = ${((100 * losses[losses.length - 1]) / losses[0]).toFixed(2)}% of the start;` +
        ` ${steps} steps in ${secs.toFixed(1)} s; ${result.stats.dispatches} dispatches in ${result.stats.submits} submits`,
    );
  } finally {
    await launched.close();
    await server.close();
  }
}

main().catch((e) => {
  if (e instanceof BrowserNotFoundError) console.error(e.message);
  else console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
