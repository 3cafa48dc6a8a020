// The DAR training-step benchmark (page side): ms per full training step of DAR on synthetic-mosi shapes, and the
// per-kernel profile of one step.
//
// A step is exactly the trainer's (src/app/train/trainer.ts): inside one tidy(), the batch's lazy uploads, the CLUB
// estimators' auxiliaryStep, losses, backward of L_total and AdamW on mainParameters(), gradients dropped. The CPU
// batches (synthetic features + LNLN missing masks at rate 0.3) are prepared before timing and cycled, so the timing
// covers uploads, recording and GPU work, not the synthetic data generator. Steps are recorded back to back with one
// wait for the GPU at the end (the trainer never waits between steps either), after `warmup` untimed steps that also
// compile every pipeline.

import * as wg from '../src/app/all';
import { createDar, darConfig, type DarPreset } from '../src/app/models/dar/index';
import { lazyTrainingBatch } from '../src/app/train/batches';
import type { StepCache, TrainingBatch } from '../src/app/models/types';

export interface DarStepOptions {
  preset: DarPreset;
  batch: number;
  /** Timed steps (default 5). */
  steps?: number;
  /** Untimed steps first (default 2; at least 1 is run before profiling so compilation is not profiled). */
  warmup?: number;
  /** Split sizes of the synthetic dataset (shapes are MOSI's either way; default 'tiny'). Indices wrap around. */
  data?: 'tiny' | 'full';
  /** Model and data seed (default 0). */
  seed?: number;
  /** Profile one extra step after the timed ones (default true). */
  profile?: boolean;
}

export interface DarStepResult {
  preset: DarPreset;
  batch: number;
  steps: number;
  msPerStep: number;
  samplesPerSec: number;
  /** Wall time of the first warm-up step (pipeline compilation included). */
  firstStepMs: number;
  /** Dispatches and submits per step (from the runtime's counters over the timed steps). */
  dispatchesPerStep: number;
  submitsPerStep: number;
  parameters: number;
  /** Per-kernel profile of one step, or null when not asked for. */
  profile: wg.Profile | null;
}

/** Builds DAR and AdamW, runs warm-up and timed training steps, profiles one more; frees everything it made. */
export async function darStepBench(opts: DarStepOptions): Promise<DarStepResult> {
  const { preset, batch: B, steps = 5, warmup = 2, data = 'tiny', seed = 0, profile = true } = opts;
  const rt = wg.runtime();
  await rt.sync();
  const ds = wg.syntheticMosi({ seed, size: data });
  const nTrain = ds.sizes.train;
  const masks = new wg.MissingField(ds.split('train'), ds.dims, seed).masks(0.3);
  // Two distinct CPU batches, cycled.
  const cpu = [0, 1].map((k) => {
    const idx = Int32Array.from({ length: B }, (_, i) => (k * B + i) % nTrain);
    const complete = ds.batch('train', idx);
    return { complete, corrupted: wg.applyMissing(complete, masks) };
  });
  const model = createDar(darConfig(preset, ds.dims, { seed: seed + 1 }));
  model.train();
  const optimizer = new wg.AdamW(model.mainParameters(), { lr: 1e-4, weightDecay: 1e-4 });
  const parameters = model.mainParameters().reduce((n, [, p]) => n + p.size, 0);

  let k = 0;
  const step = (): void => {
    const { complete, corrupted } = cpu[k++ % cpu.length];
    const batch: TrainingBatch = lazyTrainingBatch(complete, corrupted);
    wg.tidy(() => {
      const cache: StepCache = {}; // as the trainer does: losses() reuses the step's encodings
      model.auxiliaryStep(batch, cache);
      model.zeroGrad();
      const out = model.losses(batch, cache);
      out.total.backward();
      optimizer.step();
      model.zeroGrad();
    });
  };

  try {
    let t = performance.now();
    step();
    await rt.sync();
    const firstStepMs = performance.now() - t;
    for (let i = 1; i < warmup; i++) step();
    await rt.sync();

    const before = rt.stats();
    t = performance.now();
    for (let i = 0; i < steps; i++) step();
    await rt.sync();
    const ms = performance.now() - t;
    const after = rt.stats();

    let prof: wg.Profile | null = null;
    if (profile) prof = (await rt.profile(() => step())).profile;
    const msPerStep = ms / Math.max(1, steps);
    return {
      preset,
      batch: B,
      steps,
      msPerStep,
      samplesPerSec: (B * 1000) / msPerStep,
      firstStepMs,
      dispatchesPerStep: (after.dispatches - before.dispatches) / Math.max(1, steps),
      submitsPerStep: (after.submits - before.submits) / Math.max(1, steps),
      parameters,
      profile: prof,
    };
  } finally {
    optimizer.dispose();
    model.dispose();
    await rt.sync();
  }
}
