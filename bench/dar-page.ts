// The page of the DAR training-step benchmark (bench/main.ts opens it after the kernel rows, on a fresh page and so a
// fresh GPU device): wraps bench/dar-step.ts's darStepBench for the Node driver as `globalThis.darBench`.

import * as wg from '../src/app/all';
import { darStepBench, type DarStepOptions } from './dar-step';

const ready = (async () => {
  await wg.init();
  return { description: wg.describeAdapter(wg.adapterInfo()) };
})();

const darBench = { ready, step: (opts: DarStepOptions) => darStepBench(opts) };
(globalThis as unknown as { darBench: typeof darBench }).darBench = darBench;
