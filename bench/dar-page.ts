// The page of the DAR training-step benchmark (bench/main.ts opens it after the kernel rows, on a fresh page and so a
// fresh GPU device): wraps bench/dar-step.ts's darStepBench for the Node driver as `globalThis.darBench`, and
// bench/bert-step.ts's bertStepBench (the `bert` section) as its `bert`.

import * as wg from '../src/app/all';
import { darStepBench, type DarStepOptions } from './dar-step';
import { bertStepBench, type BertStepOptions } from './bert-step';

const ready = (async () => {
  await wg.init();
  return { description: wg.describeAdapter(wg.adapterInfo()) };
})();

/** One step benchmark, under init({ tuning }) on the same device when a profile is named (`npm run bench -- --tuning`). */
async function step(opts: DarStepOptions & { tuning?: wg.TuningProfile }) {
  await ready;
  if (opts.tuning) {
    const device = wg.runtime().device;
    await wg.runtime().sync();
    await wg.init({ device, tuning: opts.tuning });
  }
  return { ...(await darStepBench(opts)), tuning: wg.tuning().profile };
}

const darBench = { ready, step, bert: (opts: BertStepOptions) => bertStepBench(opts) };
(globalThis as unknown as { darBench: typeof darBench }).darBench = darBench;
