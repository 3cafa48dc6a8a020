// Scenarios for checkpoints (src/app/io/checkpoint.ts) on the GPU: a save/load round trip of a model and its AdamW state,
// and loads that must fail without touching anything. The Node side (test/safetensors.test.ts) compares the arrays.

import type { Optimizer, Tensor } from '../../src/app/all';
import type * as wgType from '../../src/app/all';
import type { ScenarioTable } from './scenarios';

type W = typeof wgType;

const arrays = async (ts: Tensor[]) => Promise.all(ts.map(async (t) => Array.from(await t.toArray())));

async function stateArrays(opt: Optimizer) {
  const out: Record<string, Record<string, number | number[]>> = {};
  for (const [name, st] of Object.entries(opt.state)) {
    const o: Record<string, number | number[]> = {};
    for (const [k, v] of Object.entries(st)) o[k] = typeof v === 'number' ? v : Array.from(await v.toArray());
    out[name] = o;
  }
  return out;
}

/** A seeded regression batch for a Linear(inF, outF). */
function batch(w: W, rows: number, inF: number, outF: number, seed: number) {
  return { x: w.randn([rows, inF], { seed }).keep(), y: w.randn([rows, outF], { seed: seed + 1 }).keep() };
}

function trainStep(w: W, model: { forward(x: Tensor): Tensor }, opt: Optimizer, x: Tensor, y: Tensor): void {
  w.tidy(() => {
    opt.zeroGrad();
    w.mseLoss(model.forward(x), y).backward();
    opt.step();
  });
}

function caught(f: () => unknown): { name: string; message: string; code?: string; problems?: string[] } | null {
  try {
    f();
    return null;
  } catch (e) {
    const err = e as Error & { code?: string; problems?: string[] };
    return {
      name: err.name,
      message: err.message,
      code: err.code,
      problems: err.problems ? [...err.problems] : undefined,
    };
  }
}

export const SCENARIOS = {
  /**
   * Trains a Linear + AdamW for `steps` steps, saves, loads into a fresh Linear + AdamW (other seed, other lr), and
   * reports both sides' outputs, parameters and optimizer state, then the same after one more step on each.
   */
  checkpointRoundTrip: async (
    { inF, outF, rows, steps, seed }: { inF: number; outF: number; rows: number; steps: number; seed: number },
    w,
  ) => {
    const live0 = w.runtime().stats().liveBuffers;
    const { x, y } = batch(w, rows, inF, outF, seed);
    const a = new w.Sequential(new w.Linear(inF, outF, { seed: seed + 10 }));
    const optA = new w.AdamW(a, { lr: 0.05, weightDecay: 0.02, betas: [0.8, 0.95] });
    for (let s = 0; s < steps; s++) trainStep(w, a, optA, x, y);
    optA.setLr(0.03); // as a schedule would have left it
    const bytes = await w.saveCheckpoint(a, optA, { epoch: 7, note: 'round trip' });

    const b = new w.Sequential(new w.Linear(inF, outF, { seed: seed + 99 }));
    const optB = new w.AdamW(b, { lr: 0.5, weightDecay: 0.02, betas: [0.8, 0.95] });
    trainStep(w, b, optB, x, y); // so B already has state tensors, which the load must overwrite in place
    const bufBefore = b.parameters().map((p) => p.buffer);
    const stateBufBefore = Object.values(optB.state).map((st) => (st.expAvg as Tensor).buffer);
    const paramsBeforeLoad = await arrays(b.parameters());
    const res = w.loadCheckpoint(bytes, b, optB);
    // C's optimizer has never stepped: the load creates its state tensors.
    const c = new w.Sequential(new w.Linear(inF, outF, { seed: seed + 7 }));
    const optC = new w.AdamW(c, { lr: 0.5, weightDecay: 0.02, betas: [0.8, 0.95] });
    w.loadCheckpoint(bytes, c, optC);

    const out = (m: { forward(x: Tensor): Tensor }) => w.tidy(() => m.forward(x).keep());
    const [ya, yb] = [out(a), out(b)];
    const afterLoad = {
      outA: Array.from(await ya.toArray()),
      outB: Array.from(await yb.toArray()),
      paramsA: await arrays(a.parameters()),
      paramsB: await arrays(b.parameters()),
      stateA: await stateArrays(optA),
      stateB: await stateArrays(optB),
      lrB: optB.learningRate,
      resaved: Array.from(await w.saveCheckpoint(b, optB, { epoch: 7, note: 'round trip' })),
    };
    ya.dispose();
    yb.dispose();
    trainStep(w, a, optA, x, y);
    trainStep(w, b, optB, x, y);
    trainStep(w, c, optC, x, y);
    const afterStep = {
      paramsA: await arrays(a.parameters()),
      paramsB: await arrays(b.parameters()),
      paramsC: await arrays(c.parameters()),
      stateA: await stateArrays(optA),
      stateB: await stateArrays(optB),
      stateC: await stateArrays(optC),
    };
    const sameBuffers =
      b.parameters().every((p, i) => p.buffer === bufBefore[i]) &&
      Object.values(optB.state).every((st, i) => (st.expAvg as Tensor).buffer === stateBufBefore[i]) &&
      optB.params.every(({ param }, i) => param === b.parameters()[i]);
    const result = {
      bytes: Array.from(bytes),
      meta: res.meta,
      metadata: res.metadata,
      missing: res.missing,
      unexpected: res.unexpected,
      paramsBeforeLoad,
      afterLoad,
      afterStep,
      sameBuffers,
      names: a.namedParameters().map(([n]) => n),
    };
    for (const t of [x, y]) t.dispose();
    optA.dispose();
    optB.dispose();
    optC.dispose();
    a.dispose();
    b.dispose();
    c.dispose();
    return { ...result, leaked: w.runtime().stats().liveBuffers - live0 };
  },

  /** Loads that must fail (or, non-strict, partly succeed); reports each error and whether anything changed. */
  checkpointMismatch: async ({ seed }: { seed: number }, w) => {
    const live0 = w.runtime().stats().liveBuffers;
    const src = new w.Sequential(new w.Linear(3, 4, { seed }), new w.Tanh(), new w.Linear(4, 2, { seed: seed + 1 }));
    const opt = new w.AdamW(src, { lr: 0.01 });
    const { x, y } = batch(w, 5, 3, 2, seed + 2);
    trainStep(w, src, opt, x, y);
    const bytes = await w.saveCheckpoint(src, opt, { epoch: 1 });
    const bytesNoOpt = await w.saveCheckpoint(src, null);

    // Wrong shape: layers.2 is (3, 4) instead of (2, 4).
    const wrong = new w.Sequential(new w.Linear(3, 4, { seed: 50 }), new w.Tanh(), new w.Linear(4, 3, { seed: 51 }));
    const before = await arrays(wrong.parameters());
    const shape = caught(() => w.loadCheckpoint(bytes, wrong, null));
    const shapeNonStrict = caught(() => w.loadCheckpoint(bytes, wrong, null, { strict: false }));
    const untouched = JSON.stringify(await arrays(wrong.parameters())) === JSON.stringify(before);

    // Missing / unexpected keys: a model with a different layout.
    const other = new w.Sequential(
      new w.Linear(3, 4, { seed: 60 }),
      new w.Linear(4, 2, { seed: 61 }),
      new w.Linear(2, 2, { seed: 62 }),
    );
    const otherBefore = await arrays(other.parameters());
    const keys = caught(() => w.loadCheckpoint(bytesNoOpt, other, null));
    // Non-strict: a model whose layers.0 matches, with no layers.2 but a layers.3 the file lacks.
    const partial = new w.Sequential(
      new w.Linear(3, 4, { seed: 70 }),
      new w.Tanh(),
      new w.Tanh(),
      new w.Linear(2, 5, { seed: 71 }),
    );
    const res = w.loadCheckpoint(bytesNoOpt, partial, null, { strict: false });
    const nonStrict = { missing: res.missing, unexpected: res.unexpected };
    const partialLoaded =
      JSON.stringify((await arrays(partial.parameters())).slice(0, 2)) ===
      JSON.stringify((await arrays(src.parameters())).slice(0, 2));
    const otherUntouched = JSON.stringify(await arrays(other.parameters())) === JSON.stringify(otherBefore);

    // Optimizer problems: a different kind, different hyperparameters, and state without the optimizer record.
    const same = () =>
      new w.Sequential(new w.Linear(3, 4, { seed: 80 }), new w.Tanh(), new w.Linear(4, 2, { seed: 81 }));
    const m1 = same();
    const kind = caught(() => w.loadCheckpoint(bytes, m1, new w.SGD(m1, { lr: 0.1, momentum: 0.9 })));
    const m2 = same();
    const hyper = caught(() => w.loadCheckpoint(bytes, m2, new w.AdamW(m2, { lr: 0.01, weightDecay: 0.5 })));
    // Not strict: kinds may differ, but the state tensors must still be the ones this optimizer keeps. The check
    // allocates a fresh state first; the failure must free it and leave the parameters alone.
    const m7 = same();
    const m7Before = await arrays(m7.parameters());
    const kindNonStrict = caught(() =>
      w.loadCheckpoint(bytes, m7, new w.SGD(m7, { lr: 0.1, momentum: 0.9 }), { strict: false }),
    );
    const m7Untouched = JSON.stringify(await arrays(m7.parameters())) === JSON.stringify(m7Before);
    const m3 = same();
    const noOptState = caught(() => w.loadCheckpoint(bytesNoOpt, m3, new w.AdamW(m3, { lr: 0.01 })));
    // Saved with an optimizer, loaded without one: the optim.* tensors are unexpected when strict.
    const m4 = same();
    const optWithoutOptimizer = caught(() => w.loadCheckpoint(bytes, m4, null));
    // A corrupt file is a CheckpointError too.
    const m6 = same();
    const truncated = caught(() => w.loadCheckpoint(bytes.subarray(0, bytes.length - 3), m6, null));

    // An optimizer that has state for a parameter the file has none for: a checkpoint saved before any step.
    const m5 = same();
    const opt5 = new w.AdamW(m5, { lr: 0.01 });
    const fresh = await w.saveCheckpoint(m5, opt5);
    trainStep(w, m5, opt5, x, y);
    const hadState = Object.keys(opt5.state).length;
    w.loadCheckpoint(fresh, m5, opt5);
    const clearedState = { hadState, after: Object.keys(opt5.state).length };

    x.dispose();
    y.dispose();
    opt.dispose();
    opt5.dispose();
    for (const m of [src, wrong, other, partial, m1, m2, m3, m4, m5, m6, m7]) m.dispose();
    const leaked = w.runtime().stats().liveBuffers - live0;
    return {
      shape,
      shapeNonStrict,
      untouched,
      keys,
      nonStrict,
      partialLoaded,
      otherUntouched,
      kind,
      hyper,
      kindNonStrict,
      m7Untouched,
      noOptState,
      optWithoutOptimizer,
      truncated,
      clearedState,
      leaked,
    };
  },
} satisfies ScenarioTable;
