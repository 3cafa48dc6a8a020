// The first training step's kernels compiled ahead with a count ("compiling kernels n/m", src/app/train/compile-ahead.ts):
// the dry run finds every pipeline the step needs, reports progress up to the total, and leaves no trace: a run with it
// gives the same weights as a run without it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from './page';
import { scenario, type ScenarioCallArgs } from './scenario';
import type { ScenarioName } from './page/scenarios';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

const run = <K extends ScenarioName>(name: K, ...args: ScenarioCallArgs<K>) => scenario(page, name, ...args);

describe('compiling the first step ahead', () => {
  it('counts 0/m … m/m before the first step, which then compiles nothing, and changes no number', async () => {
    const r = await run('compileAheadRun');
    const total = r.calls[0][1];
    expect(total).toBeGreaterThan(10);
    expect(r.calls[0]).toEqual([0, total]);
    expect(r.calls.at(-1)).toEqual([total, total]);
    expect(r.calls.map((c) => c[0])).toEqual(Array.from({ length: total + 1 }, (_, i) => i));
    // Every pipeline of the training step was compiled ahead: steps 1 and 2 made none.
    expect(r.pipelines.beforeFirst).toBeGreaterThanOrEqual(r.pipelinesAtStart + total);
    expect(r.pipelines.afterSecond).toBe(r.pipelines.beforeFirst);
    // With and without the dry run: the same checkpoint (weights and AdamW state), bit for bit.
    expect(r.tensors[0]).toBe(r.tensors[1]);
    expect(r.maxDiff).toBe(0);
    expect(r.validLoss[0]).toBe(r.validLoss[1]);
    expect(r.leaked).toBe(0);
  }, 300_000);

  it('a dry run records no GPU work and refuses a read back', async () => {
    const r = await run('collectPipelinesDry');
    // fill's pipeline is listed unless an earlier test compiled it already.
    expect(r.kernels.every((k: string) => k === 'fill')).toBe(true);
    expect(r.after).toEqual([1, 2, 3, 4]);
    expect(r.readError).toContain('collectPipelines: the function read a tensor back');
  });
});
