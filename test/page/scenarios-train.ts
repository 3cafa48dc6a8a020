// Scenarios for modules, optimizers, gradient clipping and training: optimizer steps on given parameters and
// gradients (checked in Node against src/engine/optim/optim.reference.ts), module naming, bad input, the leak test and the
// learning test.

import type { AdamOptions, SGDOptions, Tensor } from '../../src/app/all';
import type * as wgType from '../../src/app/all';
import { trainToyMlp, type ToyMlpStep } from '../../src/app/examples/toyMlp';
import type { ScenarioTable } from './scenarios';

type W = typeof wgType;

function caught(f: () => unknown): { name: string; message: string } | null {
  try {
    f();
    return null;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
}

/** Which optimizer optimSteps runs, with its options. */
export type OptimizerChoice = { kind: 'SGD'; opts: SGDOptions } | { kind: 'Adam' | 'AdamW'; opts: AdamOptions };

function makeOptimizer(w: W, { kind, opts }: OptimizerChoice, params: [string, Tensor][], scales?: number[]) {
  // Parameter `p<k>` gets lr × scales[k] (a function cannot cross into the page, so the scales come as numbers).
  const lrScale = scales && ((name: string) => scales[Number(name.slice(1))]);
  if (kind === 'SGD') return new w.SGD(params, { ...opts, lrScale });
  if (kind === 'Adam') return new w.Adam(params, { ...opts, lrScale });
  if (kind === 'AdamW') return new w.AdamW(params, { ...opts, lrScale });
  throw new Error(`unknown optimizer ${String(kind)}`);
}

export const SCENARIOS = {
  /**
   * Runs `grads.length` optimizer steps. grads[s][k] is parameter k's gradient at step s, or null for "no gradient
   * this step"; lrs[s], if given, is set with setLr() before step s; lrScales[k] multiplies parameter k's lr. Returns the parameters and state afterwards, and
   * how many pipelines were compiled after the first step (changing lr must compile none).
   */
  optimSteps: async (
    args: OptimizerChoice & {
      params: { shape: number[]; data: number[] }[];
      grads: (number[] | null)[][];
      lrs?: number[];
      lrScales?: number[];
    },
    w,
  ) => {
    const { params, grads, lrs } = args;
    const rt = w.runtime();
    const ps: [string, Tensor][] = params.map((p: { shape: number[]; data: number[] }, k: number) => [
      `p${k}`,
      w.parameter(w.tensor(p.data, p.shape)),
    ]);
    const opt = makeOptimizer(w, args, ps, args.lrScales);
    let pipelinesAfterFirst = 0;
    const dispatchesPerStep: number[] = [];
    for (let s = 0; s < grads.length; s++) {
      if (lrs) opt.setLr(lrs[s]);
      // Each step in its own tidy, as in a training loop: the state made on the first step must survive it.
      w.tidy(() => {
        opt.zeroGrad();
        ps.forEach(([, p], k) => {
          const g = grads[s][k];
          if (g) p.grad = w.tensor(g, p.shape).keep();
        });
        const d0 = rt.stats().dispatches;
        opt.step();
        dispatchesPerStep.push(rt.stats().dispatches - d0);
      });
      if (s === 0) {
        await rt.sync();
        pipelinesAfterFirst = rt.stats().pipelines;
      }
    }
    await rt.sync();
    const out = {
      params: await Promise.all(ps.map(async ([, p]) => Array.from(await p.toArray()))),
      state: {} as Record<string, Record<string, number[] | number>>,
      newPipelines: rt.stats().pipelines - pipelinesAfterFirst,
      dispatchesPerStep,
    };
    for (const [name, st] of Object.entries(opt.state)) {
      const o: Record<string, number[] | number> = {};
      for (const [k, v] of Object.entries(st)) o[k] = typeof v === 'number' ? v : Array.from(await v.toArray());
      out.state[name] = o;
    }
    opt.zeroGrad();
    opt.dispose();
    for (const [, p] of ps) p.dispose();
    return out;
  },

  /** clipGradNorm on gradients with the given data (multi-tensor unless told otherwise); returns the norm, the clipped
   * gradients and the dispatch count. */
  clipGradNorm: async (
    {
      grads,
      shapes,
      maxNorm,
      withoutGrad,
      multiTensor,
    }: { grads: number[][]; shapes: number[][]; maxNorm: number; withoutGrad: number; multiTensor?: boolean },
    w,
  ) => {
    const rt = w.runtime();
    const ps = shapes.map((s: number[], k: number) => {
      const p = w.parameter(w.zeros(s));
      if (k !== withoutGrad) p.grad = w.tensor(grads[k], s).keep();
      return p;
    });
    await rt.sync();
    const before = rt.stats();
    const norm = w.clipGradNorm(ps, maxNorm, { multiTensor });
    const dispatches = rt.stats().dispatches - before.dispatches;
    const out = {
      norm: await norm.item(),
      grads: await Promise.all(ps.map(async (p: Tensor) => (p.grad ? Array.from(await p.grad.toArray()) : null))),
      dispatches,
    };
    norm.dispose();
    for (const p of ps) {
      p.grad?.dispose();
      p.dispose();
    }
    return out;
  },

  /** Parameter names of nested modules, arrays of modules, a shared parameter; train/eval; zeroGrad; dispose. */
  moduleNaming: async (_args, w) => {
    class Block extends w.Module {
      fc = new w.Linear(3, 4);
      act = new w.Tanh();
      parent: unknown = null;
      forward(x: Tensor) {
        return this.act.forward(this.fc.forward(x));
      }
    }
    class Net extends w.Module {
      scale = w.parameter(w.ones([1]));
      notAParam = w.zeros([2]); // no requiresGrad: not a parameter
      blocks = [new Block(), new Block()];
      head = new w.Linear(4, 2, { bias: false });
      stack = new w.Sequential(new w.Linear(2, 2), new w.ReLU(), new w.Linear(2, 1));
      tiedTo = this.head.weight; // a second reference to the same parameter: listed once, under its first name
    }
    const rt = w.runtime();
    const net = new Net();
    net.blocks[0].parent = net; // a back-reference must not loop or rename anything
    const names = net.namedParameters().map(([n]) => n);
    const tensorNames = net.parameters().map((p) => p.name);
    const modules = net.namedModules().map(([n]) => n);
    net.eval();
    const evalFlags = net.namedModules().map(([, m]) => m.training);
    net.train();
    const trainFlags = net.namedModules().map(([, m]) => m.training);
    const sizes = net.parameters().map((p) => p.size);
    for (const p of net.parameters()) p.grad = w.zeros(p.shape).keep();
    net.zeroGrad();
    const gradsAfterZero = net.parameters().map((p) => p.grad);
    await rt.sync();
    const live0 = rt.stats().liveBuffers;
    const nParams = net.parameters().length;
    net.dispose();
    const freed = live0 - rt.stats().liveBuffers;
    net.notAParam.dispose();
    return { names, tensorNames, modules, evalFlags, trainFlags, sizes, gradsAfterZero, freed, nParams };
  },

  /** Linear's init: bounds, spread, reproducibility by seed; forward shapes for inputs of rank 1 to 4. */
  linearInit: async ({ inF, outF, seed }: { inF: number; outF: number; seed: number }, w) =>
    w.tidyAsync(async () => {
      const a = new w.Linear(inF, outF, { seed });
      const b = new w.Linear(inF, outF, { seed });
      const c = new w.Linear(inF, outF, { seed: seed + 1 });
      const wa = await a.weight.toArray();
      const ba = await a.bias!.toArray();
      const same =
        (await b.weight.toArray()).every((v, i) => v === wa[i]) &&
        (await b.bias!.toArray()).every((v, i) => v === ba[i]);
      const wc = await c.weight.toArray();
      const differ = wc.filter((v, i) => v !== wa[i]).length / wc.length;
      const forwardShapes = [[inF], [3, inF], [2, 3, inF], [2, 1, 3, inF]].map((s) => [...a.forward(w.zeros(s)).shape]);
      const out = {
        weight: Array.from(wa),
        bias: Array.from(ba),
        weightShape: [...a.weight.shape],
        same,
        differ,
        forwardShapes,
        noBias: new w.Linear(inF, outF, { bias: false }).bias,
      };
      for (const m of [a, b, c]) m.dispose();
      return out;
    }),

  /** Bad arguments to Linear and the optimizers: each must throw a WebgradError before recording any GPU work. */
  nnErrors: async (_args, w) => {
    const rt = w.runtime();
    const lin = new w.Linear(6, 3);
    const x = w.zeros([4, 5]);
    const p = w.parameter(w.zeros([3]));
    await rt.sync();
    const d0 = rt.stats().dispatches;
    const errs = {
      linearWrongDim: caught(() => lin.forward(x)),
      linearBadSize: caught(() => new w.Linear(0, 3)),
      lrZero: caught(() => new w.SGD([p], { lr: 0 })),
      lrNegative: caught(() => new w.AdamW([p], { lr: -1e-3 })),
      lrNaN: caught(() => new w.Adam([p], { lr: NaN })),
      beta1One: caught(() => new w.Adam([p], { lr: 1e-3, betas: [1, 0.999] })),
      beta2Negative: caught(() => new w.AdamW([p], { lr: 1e-3, betas: [0.9, -0.1] })),
      beta2Above: caught(() => new w.AdamW([p], { lr: 1e-3, betas: [0.9, 1.5] })),
      negativeDecay: caught(() => new w.AdamW([p], { lr: 1e-3, weightDecay: -1 })),
      nesterovNoMomentum: caught(() => new w.SGD([p], { lr: 1e-3, nesterov: true })),
      setLrZero: caught(() => new w.SGD([p], { lr: 1e-3 }).setLr(0)),
      duplicate: caught(() => new w.SGD([p, p], { lr: 1e-3 })),
      clipZero: caught(() => w.clipGradNorm([p], 0)),
      wrongGradSize: caught(() => {
        p.grad = w.zeros([4]).keep();
        new w.Adam([p], { lr: 1e-3 }).step();
      }),
    };
    const dispatches = rt.stats().dispatches - d0 - 1; // the zeros([4]) above is the only GPU work allowed
    p.grad?.dispose();
    p.dispose();
    lin.dispose();
    x.dispose();
    return { errs, dispatches };
  },

  /**
   * The leak test: `steps` AdamW steps (with gradient clipping) of an MLP in a tidy() each, reading the runtime's
   * counters every `every` steps once the GPU is idle.
   */
  leak: async (
    {
      steps,
      every,
      batch,
      hidden,
      seed,
    }: { steps: number; every: number; batch: number; hidden: number; seed: number },
    w,
  ) => {
    const rt = w.runtime();
    const model = new w.Sequential(
      new w.Linear(2, hidden, { seed }),
      new w.Tanh(),
      new w.Linear(hidden, 1, { seed: seed + 1 }),
    );
    const opt = new w.AdamW(model, { lr: 1e-2 });
    const x = w.randn([batch, 2], { seed: seed + 2 });
    const y = w.randn([batch, 1], { seed: seed + 3 });
    const samples: { step: number; loss: number; stats: ReturnType<typeof rt.stats> }[] = [];
    for (let step = 1; step <= steps; step++) {
      const loss = w.tidy(() => {
        opt.zeroGrad();
        const loss = w.mseLoss(model.forward(x), y);
        loss.backward();
        w.clipGradNorm(model, 1.0);
        opt.setLr(w.cosineSchedule(step - 1, steps, { baseLr: 1e-2, warmupSteps: 10 }));
        opt.step();
        return step % every === 0 ? loss.detach() : null;
      });
      if (loss) {
        const value = await loss.item();
        loss.dispose();
        await rt.sync();
        samples.push({ step, loss: value, stats: rt.stats() });
      }
    }
    opt.zeroGrad();
    opt.dispose();
    model.dispose();
    x.dispose();
    y.dispose();
    return samples;
  },

  /** The learning test: the toy MLP of src/app/examples/toyMlp.ts. */
  toyMlp: async ({ steps, seed }: { steps: number; seed: number }, w) => {
    const rt = w.runtime();
    await rt.sync();
    const live0 = rt.stats().liveBuffers;
    const t0 = performance.now();
    const reports: ToyMlpStep[] = [];
    const res = await trainToyMlp({ steps, seed, logEvery: 250, onStep: (s) => void reports.push(s) });
    const ms = performance.now() - t0;
    await rt.sync();
    return { ...res, ms, reports, liveAfter: rt.stats().liveBuffers - live0 };
  },
} satisfies ScenarioTable;
