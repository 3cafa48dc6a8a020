// A toy regression trained end to end on the GPU: a 2-layer MLP learns y = sin(3·x₁) + x₂² from 256 seeded points
// with AdamW, gradient clipping and a warm-up + cosine learning-rate schedule. Each step runs inside tidy(), and the
// loss is copied into a GPU-side curve instead of being read back, so the loop never waits for the GPU except when it
// reports progress.

import {
  AdamW,
  clipGradNorm,
  cosineSchedule,
  empty,
  Linear,
  mseLoss,
  runtime,
  Sequential,
  Tanh,
  tensor,
  tidy,
} from '../../engine/index';
import { mulberry32 } from '../../engine/seed';

export interface ToyMlpOptions {
  steps?: number;
  seed?: number;
  /** Hidden units (default 64). */
  hidden?: number;
  /** Peak learning rate (default 1e-2), reached after a 5% warm-up, then cosine-decayed to a tenth of it. */
  lr?: number;
  /** Number of training points (default 256), all used every step. */
  points?: number;
  /**
   * Called every `logEvery` steps (default 100) and after the last one, with the number of steps done, the loss of the
   * last step (read back from the GPU: the only wait in the loop) and its learning rate. Awaited if it returns a Promise.
   */
  onStep?: (info: ToyMlpStep) => void | Promise<void>;
  logEvery?: number;
}

export interface ToyMlpStep {
  step: number;
  loss: number;
  lr: number;
}

export interface ToyMlpResult {
  /** The training loss before each step (losses[0] is the loss of the initial weights). */
  losses: number[];
}

/** Uniform numbers in [-1, 1) from a seeded mulberry32 generator, so the data set is the same on every machine. */
function seededUniform(n: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = next() * 2 - 1;
  return out;
}

export async function trainToyMlp(opts: ToyMlpOptions = {}): Promise<ToyMlpResult> {
  const { steps = 1000, seed = 0, hidden = 64, lr = 1e-2, points = 256, onStep, logEvery = 100 } = opts;
  const xs = seededUniform(points * 2, seed);
  const ys = new Float32Array(points);
  for (let i = 0; i < points; i++) ys[i] = Math.sin(3 * xs[2 * i]) + xs[2 * i + 1] ** 2;
  const x = tensor(xs, [points, 2]);
  const y = tensor(ys, [points, 1]);

  const model = new Sequential(
    new Linear(2, hidden, { seed: seed + 1 }),
    new Tanh(),
    new Linear(hidden, 1, { seed: seed + 2 }),
  );
  const opt = new AdamW(model, { lr });
  const curve = empty([steps]).keep();
  const schedule = { baseLr: lr, warmupSteps: Math.ceil(steps / 20), minLr: lr / 10 };

  for (let step = 0; step < steps; step++) {
    const report = onStep && ((step + 1) % logEvery === 0 || step === steps - 1);
    const loss = tidy(() => {
      opt.zeroGrad();
      const loss = mseLoss(model.forward(x), y); // (1)
      loss.backward();
      clipGradNorm(model, 1.0);
      opt.setLr(cosineSchedule(step, steps, schedule));
      opt.step();
      runtime().copy(loss.buffer, curve.buffer, 4, 0, 4 * step);
      return report ? loss : null;
    });
    if (loss) {
      const value = await loss.item();
      loss.dispose();
      await onStep!({ step: step + 1, loss: value, lr: opt.learningRate });
    }
  }

  const losses = Array.from(await curve.toArray());
  opt.zeroGrad();
  opt.dispose();
  model.dispose();
  for (const t of [x, y, curve]) t.dispose();
  return { losses };
}
