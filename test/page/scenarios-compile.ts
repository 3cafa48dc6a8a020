// Scenarios for compiling the first step's kernels ahead (src/app/train/compile-ahead.ts, runtime.collectPipelines /
// compilePipelines). The Node side (test/compile-ahead.test.ts) asserts on what these return.

import type * as wgType from '../../src/app/all';
import { DAR, darConfig } from '../../src/app/models/dar/index';
import { trainModel, type CheckpointInfo } from '../../src/app/train/index';
import type { ScenarioTable } from './scenarios';

type W = typeof wgType;

export const SCENARIOS = {
  /**
   * DAR (small) on tiny, one short epoch, with and then without onCompile: the progress calls, the pipelines made
   * during the first real steps (none may be: the dry run found them all), and the two runs' last checkpoints.
   */
  async compileAheadRun(_args, w: W) {
    const ds = w.syntheticMosi({ seed: 0, size: 'tiny' });
    const opts = { seed: 3, epochs: 1, batchSize: 8, trainSubset: 24, validSubset: 8, progressEvery: 1, lr: 2e-3 };
    const rt = w.runtime();
    const run = async (withHook: boolean) => {
      const calls: [number, number][] = [];
      const pipelines: { beforeFirst?: number; afterSecond?: number } = {};
      let last: CheckpointInfo | null = null;
      const res = await trainModel((seed) => new DAR(darConfig('small', ds.dims, { seed })), ds, opts, {
        ...(withHook ? { onCompile: (done: number, total: number) => void calls.push([done, total]) } : {}),
        beforeStep: (c) => {
          if (c.globalStep === 0) pipelines.beforeFirst = rt.stats().pipelines;
        },
        onProgress: (p) => {
          if (p.step === 2) pipelines.afterSecond = rt.stats().pipelines;
        },
        onCheckpoint: (c) => {
          if (c.kinds.includes('last')) last = c;
        },
      });
      res.optimizer.dispose();
      res.model.dispose();
      return { calls, pipelines, last: last! as CheckpointInfo };
    };
    const liveBefore = rt.stats().liveBuffers;
    const pipelinesAtStart = rt.stats().pipelines;
    const a = await run(true);
    const b = await run(false);
    const fa = w.parseSafetensors(a.last.bytes);
    const fb = w.parseSafetensors(b.last.bytes);
    let maxDiff = 0;
    for (const [n, e] of fa.tensors) {
      const x = w.entryToFloat32(e, n);
      const y = w.entryToFloat32(fb.tensors.get(n)!, n);
      for (let i = 0; i < x.length; i++) maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i]));
    }
    await rt.sync();
    return {
      pipelinesAtStart,
      calls: a.calls,
      pipelines: a.pipelines,
      maxDiff,
      tensors: [fa.tensors.size, fb.tensors.size],
      validLoss: [a.last.validLoss, b.last.validLoss],
      leaked: rt.stats().liveBuffers - liveBefore,
    };
  },

  /** collectPipelines on its own: a dispatch inside changes nothing on the GPU, a read back throws. */
  async collectPipelinesDry(_args, w: W) {
    const x = w.tensor([1, 2, 3, 4]).keep();
    const specs = w.runtime().collectPipelines(() => {
      w.fillInto(x, 7); // a dispatch: skipped
    });
    const after = Array.from(await x.toArray());
    let readError = '';
    try {
      // toArray is async: its read starts inside the dry run, and collectPipelines refuses the run once it returns.
      w.runtime().collectPipelines(() => void x.toArray().catch(() => undefined));
    } catch (e) {
      readError = (e as Error).message;
    }
    x.dispose();
    return { kernels: specs.map((s) => s.kernel.name), after, readError };
  },
} satisfies ScenarioTable;
