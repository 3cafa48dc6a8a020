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

const darBench = {
  ready,
  step: (opts: DarStepOptions) => darStepBench(opts),
  bert: (opts: BertStepOptions) => bertStepBench(opts),
};
(globalThis as unknown as { darBench: typeof darBench }).darBench = darBench;
