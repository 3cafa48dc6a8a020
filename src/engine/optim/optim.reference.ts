// Float64 CPU references for the optimizers, gradient clipping and LR schedules: the slow, obviously right versions
// the GPU kernels are tested against. Written from the update rules of torch.optim.SGD / Adam / AdamW and
// torch.nn.utils.clip_grad_norm_. Pure TypeScript, no GPU imports; every step updates its arrays in place.

export interface SgdRefOptions {
  lr: number;
  momentum?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/** One SGD step on one parameter. `buf` is the momentum buffer (zeros before the first step), unused without momentum. */
export function sgdStepRef(p: Float64Array, g: Float64Array, buf: Float64Array, o: SgdRefOptions): void {
  const mu = o.momentum ?? 0;
  const wd = o.weightDecay ?? 0;
  for (let i = 0; i < p.length; i++) {
    let d = g[i] + wd * p[i];
    if (mu !== 0) {
      // torch starts the buffer at the first gradient; with dampening 0 that equals mu·0 + g.
      buf[i] = mu * buf[i] + d;
      d = o.nesterov ? d + mu * buf[i] : buf[i];
    }
    p[i] -= o.lr * d;
  }
}

export interface AdamRefOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** true: AdamW (p ← p·(1 − lr·wd) before the update); false: Adam (wd·p added to the gradient). */
  decoupled: boolean;
}

/** One Adam/AdamW step on one parameter; `step` is the 1-based step number of this update. */
export function adamStepRef(
  p: Float64Array,
  g: Float64Array,
  m: Float64Array,
  v: Float64Array,
  step: number,
  o: AdamRefOptions,
): void {
  const [b1, b2] = o.betas ?? [0.9, 0.999];
  const eps = o.eps ?? 1e-8;
  const wd = o.weightDecay ?? (o.decoupled ? 0.01 : 0);
  const bc1 = 1 - b1 ** step;
  const bc2 = 1 - b2 ** step;
  for (let i = 0; i < p.length; i++) {
    let gi = g[i];
    if (o.decoupled) p[i] *= 1 - o.lr * wd;
    else gi += wd * p[i];
    m[i] = b1 * m[i] + (1 - b1) * gi;
    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
    const mHat = m[i] / bc1;
    const vHat = v[i] / bc2;
    p[i] -= (o.lr * mHat) / (Math.sqrt(vHat) + eps);
  }
}

/** The global L2 norm of all gradients, and the gradients scaled in place by min(1, maxNorm / (norm + 1e-6)). */
export function clipGradNormRef(grads: Float64Array[], maxNorm: number): number {
  let ss = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) ss += g[i] * g[i];
  const norm = Math.sqrt(ss);
  const coef = Math.min(1, maxNorm / (norm + 1e-6));
  for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= coef;
  return norm;
}

/** Linear warm-up factor: (step + 1) / warmupSteps until it reaches 1. */
export function linearWarmupRef(step: number, warmupSteps: number): number {
  return warmupSteps <= 0 ? 1 : Math.min(1, (step + 1) / warmupSteps);
}

/** Cosine decay from baseLr to minLr over [warmupSteps, totalSteps), after a linear warm-up; minLr past the end. */
export function cosineScheduleRef(
  step: number,
  totalSteps: number,
  baseLr: number,
  warmupSteps = 0,
  minLr = 0,
): number {
  if (step < warmupSteps) return (baseLr * (step + 1)) / warmupSteps;
  if (step >= totalSteps) return minLr;
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  return minLr + 0.5 * (baseLr - minLr) * (1 + Math.cos(Math.PI * progress));
}
