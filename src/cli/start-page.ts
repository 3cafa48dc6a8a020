// The page `npm start` opens: trains the toy MLP on WebGPU and reports each step to the Node driver.

import * as wg from '../index';
import { trainToyMlp } from '../examples/toyMlp';

type Report = (msg: unknown) => Promise<void>;

async function main(opts: { steps: number; seed: number }) {
  const report = (globalThis as unknown as { webgradReport: Report }).webgradReport;
  await wg.init();
  await report({ kind: 'adapter', adapter: wg.adapterInfo() });
  const result = await trainToyMlp({
    steps: opts.steps,
    seed: opts.seed,
    onStep: (s) => report({ kind: 'step', ...s }),
  });
  return { ...result, stats: wg.runtime().stats() };
}

(globalThis as unknown as { webgradMain: typeof main }).webgradMain = main;
