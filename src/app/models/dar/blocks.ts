// DAR's building blocks (docs/models.md §6): the modalities, the alignment layer and CLUB's upper bound with the
// estimator held fixed. The grouped layers DAR and DERL are built from (GroupedLinear, GroupedTransformer, ...) are the
// engine's (src/engine/nn/grouped.ts).

import { noGrad, tidy, type Tensor } from '../../../engine/tensor';
import { sub } from '../../../engine/ops/elementwise';
import { mean } from '../../../engine/ops/reduce';
import { reshape } from '../../../engine/ops/shape';
import { lstmOp } from '../../../engine/ops/lstm';
import { clubUpperBound } from '../../../engine/ops/club';
import { Linear, Module, ReLU, Tanh, type Sequential } from '../../../engine/nn/module';
import { matmul } from '../../../engine/ops/matmul';
import { Conv1d } from '../../../engine/nn/conv1d';
import { LayerNorm } from '../../../engine/nn/transformer';
import { deriveSeed } from '../../../engine/seed';
import { rand } from '../../../engine/creation';
import type { ClubEstimator } from '../../../engine/nn/club';
import { type GroupedTransformer, ModuleDict } from '../../../engine/nn/grouped';

/** The three modalities in the paper's order: language, visual, acoustic (the stacking order everywhere). */
export const MODALITIES = ['l', 'v', 'a'] as const;
export type Modality = (typeof MODALITIES)[number];
/** Which ModalityInputs field holds each modality. */
export const INPUT_FIELD = { l: 'text', v: 'vision', a: 'audio' } as const;

/** One module per modality, built by `make(m)`, in MODALITIES order. */
export function perModality<T extends Module>(make: (m: Modality) => T): ModuleDict<T> {
  return new ModuleDict(MODALITIES.map((m) => [m, make(m)] as const));
}

// ------------------------------------------------------------------------------------------ DAR-specific

/**
 * Spec §6.2: (B, T_m, d_m) → GELU(proj(conv(x))) (B, t, d). `conv` is Conv1d(T_m → t, kernel 1) applied with the time
 * steps as channels (a learned linear mix over time, resampling the length to t); `proj` is Linear(d_m → d).
 * With `norm` (config.alignNorm), a LayerNorm over d_m sits between them: GELU(proj(LN(conv(x)))). Missing frames
 * are zero vectors, so the mix over time shrinks with the share of frames dropped; the norm takes that scale out.
 */
export class Alignment extends Module {
  readonly conv: Conv1d;
  /** LayerNorm over the features of each resampled step (config.alignNorm), else null. */
  readonly norm: LayerNorm | null;
  readonly proj: Linear;

  constructor(
    readonly len: number,
    readonly inDim: number,
    readonly t: number,
    readonly d: number,
    seed?: number,
    norm = false,
    init: 'kaiming' | 'average' = 'kaiming',
  ) {
    super();
    this.conv = new Conv1d(len, t, 1, { seed: deriveSeed(seed, 0) });
    if (init === 'average') {
      // Each output step starts as a noisy average of the frames (weights U(0, 2/T_m), mean 1/T_m), so what is constant
      // over a clip (its content, its speaker) enters every step with the same sign whatever the clip's length;
      // torch's U(±1/√T_m) multiplies it by a random walk over the real frames, whose sign changes with the length.
      const w = rand([t, len, 1], { low: 0, high: 2 / len, seed: deriveSeed(seed, 2) });
      this.conv.loadStateDict({ weight: w }, { strict: false });
      w.dispose();
    }
    this.norm = norm ? new LayerNorm(inDim) : null;
    this.proj = new Linear(inDim, d, { seed: deriveSeed(seed, 1) });
  }

  /** x (B, T_m, d_m) → (B, t, d). */
  forward(x: Tensor): Tensor {
    const u = this.conv.forward(x); //            (B, t, d_m): a learned mix of the T_m steps
    return this.proj.forward(this.norm ? this.norm.forward(u) : u, 'gelu'); // GELU in the product's launch
  }
}

/**
 * posInit 'centred': a Transformer's learned positions (G, t, d) minus their mean over the t steps. N(0, 1) positions
 * add a random offset of norm ≈ √(d/t) to the time mean of every sample's output, which L_sim's cosine similarity then
 * mostly sees (two samples' common features start at cosine ≈ 0.98); centred, the positions still tell steps apart.
 */
export function centreOverTime(enc: GroupedTransformer): void {
  const p = enc.pos_embedding;
  const [G, , d] = p.shape;
  const centred = tidy(() => noGrad(() => sub(p, reshape(mean(p, 1), [G, 1, d]))));
  enc.loadStateDict({ pos_embedding: centred }, { strict: false });
  centred.dispose();
}

/**
 * CLUB's upper bound (docs/models.md §6.4) with the estimator's weights held fixed: the estimator's forward pass on
 * detached views of its parameters, so the gradient reaches x and y (the encoders) and never the estimator, which is
 * trained only by its own optimiser on its log-likelihood (the alternating scheme). No estimator gradient is computed.
 */
export function clubUpperBoundFixed(est: ClubEstimator, x: Tensor, y: Tensor): Tensor {
  const lstm = est.lstm;
  const {
    output,
    h: hN,
    c: cN,
  } = lstmOp(
    'DAR L_diff',
    x,
    lstm.flatWeights().map((w) => w.detach()),
    {
      numLayers: lstm.numLayers,
      bidirectional: lstm.bidirectional,
    },
  );
  hN.dispose();
  cN.dispose();
  const head = (s: Sequential) => {
    let h = output;
    const ls = s.layers;
    for (let i = 0; i < ls.length; i++) {
      const l = ls[i];
      if (!(l instanceof Linear)) {
        h = l.forward(h);
        continue;
      }
      // Linear on detached weights; a ReLU or Tanh after it runs in the product's launch (as Sequential does).
      const activation = ls[i + 1] instanceof ReLU ? 'relu' : ls[i + 1] instanceof Tanh ? 'tanh' : null;
      if (activation) i++;
      h = matmul(h, l.weight.detach(), { transB: true, bias: l.bias?.detach() ?? null, activation });
    }
    return h;
  };
  return clubUpperBound(head(est.muHead), head(est.logvarHead), y);
}
