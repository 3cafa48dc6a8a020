// The BERT training-step measurement (page side; `npm run bench -- --only bert`): time and memory of BERT-base
// (src/engine/nn/bert.ts, random weights) forward + backward + AdamW on a (B, T) batch of token ids, 32 × 50 by default
// (MOSI's text length in LNLN's protocol).
//
// Memory is the runtime's live bytes (memory().liveBytes) at each point: the weights after construction; AdamW's
// state (m, v) after a first step; the activations the tape holds after the forward (what backward will read); the
// gradients after the backward. A warm-up step at batch 2 compiles every pipeline first, so the timed step is compute.

import * as wg from '../src/app/all';
import { mulberry32 } from '../src/engine/seed';

export interface BertStepOptions {
  B?: number;
  T?: number;
  /** Encoder layers (default 12, bert-base). */
  layers?: number;
}

export interface BertStepResult {
  B: number;
  T: number;
  layers: number;
  parameters: number;
  /** Wall times of one call, ms: forward alone (no tape), forward + backward, AdamW's step. */
  forwardMs: number;
  forwardBackwardMs: number;
  adamMs: number;
  /** Live GPU bytes: weights, AdamW state, the tape after the forward, the gradients after the backward. */
  weightsBytes: number;
  adamBytes: number;
  activationBytes: number;
  gradientBytes: number;
  /** Every buffer the runtime created and still holds (live + pooled) after the step. */
  allocatedBytes: number;
  dispatchesPerStep: number;
}

/** bert-base-uncased's sizes. */
export const BERT_BASE = {
  vocabSize: 30522,
  hidden: 768,
  heads: 12,
  intermediate: 3072,
  maxPosition: 512,
  typeVocab: 2,
};

/** ids (101 … 102 then [PAD] 0) and the attention mask of B sentences of random lengths in [T/2, T]. */
function batch(B: number, T: number, seed: number) {
  const rnd = mulberry32(seed);
  const ids: number[][] = [];
  const mask: number[][] = [];
  for (let b = 0; b < B; b++) {
    const n = Math.max(2, Math.ceil(T / 2 + (rnd() * T) / 2));
    ids.push(
      Array.from({ length: T }, (_, t) =>
        t === 0 ? 101 : t === n - 1 ? 102 : t < n ? 1000 + Math.floor(rnd() * 29000) : 0,
      ),
    );
    mask.push(Array.from({ length: T }, (_, t) => (t < n ? 1 : 0)));
  }
  return { ids, mask };
}

export async function bertStepBench(opts: BertStepOptions = {}): Promise<BertStepResult> {
  const { B = 32, T = 50, layers = 12 } = opts;
  const rt = wg.runtime();
  await rt.sync();
  const live = () => wg.memory().liveBytes;
  const m0 = live();
  const bert = new wg.Bert({ ...BERT_BASE, layers, seed: 1 });
  const optimizer = new wg.AdamW(bert.parameters(), { lr: 2e-5, weightDecay: 0.01 });
  const parameters = bert.parameters().reduce((n, p) => n + p.size, 0);
  await rt.sync();
  const weightsBytes = live() - m0;
  const loss = (x: wg.BertOutput) => wg.add(wg.sum(x.hidden), wg.sum(x.pooled!));
  try {
    // Warm-up at batch 2: compiles every pipeline and creates AdamW's state.
    const small = batch(2, T, 2);
    wg.tidy(() => {
      loss(bert.forward(small.ids, null, small.mask)).backward();
      optimizer.step();
      bert.zeroGrad();
    });
    await rt.sync();
    const adamBytes = live() - m0 - weightsBytes;

    // Each number is printed (console.log, relayed by bench/main.ts) as soon as it is measured: a run on a slow
    // CPU takes many minutes and may be stopped before the end.
    const report = (what: string, v: number) => console.log(`bert: ${what} ${Math.round(v)}`);
    report('weightsBytes', weightsBytes);
    report('adamBytes', adamBytes);
    const { ids, mask } = batch(B, T, 1);
    const before = rt.stats().dispatches;
    let activationBytes = 0;
    let gradientBytes = 0;
    let t = performance.now();
    await wg.tidyAsync(async () => {
      const base = live();
      const l = loss(bert.forward(ids, null, mask));
      activationBytes = live() - base;
      report('activationBytes', activationBytes);
      l.backward();
      await rt.sync();
      gradientBytes = bert.parameters().reduce((n, p) => n + (p.grad ? p.grad.size * 4 : 0), 0);
    });
    const forwardBackwardMs = performance.now() - t;
    report('forwardBackwardMs', forwardBackwardMs);
    report('gradientBytes', gradientBytes);
    t = performance.now();
    optimizer.step();
    bert.zeroGrad();
    await rt.sync();
    const adamMs = performance.now() - t;
    report('adamMs', adamMs);
    const dispatchesPerStep = rt.stats().dispatches - before;

    t = performance.now();
    wg.tidy(() => void wg.noGrad(() => bert.forward(ids, null, mask)));
    await rt.sync();
    const forwardMs = performance.now() - t;
    report('forwardMs', forwardMs);
    return {
      B,
      T,
      layers,
      parameters,
      forwardMs,
      forwardBackwardMs,
      adamMs,
      weightsBytes,
      adamBytes,
      activationBytes,
      gradientBytes,
      allocatedBytes: wg.memory().allocatedBytes,
      dispatchesPerStep,
    };
  } finally {
    optimizer.dispose();
    bert.dispose();
    await rt.sync();
  }
}
