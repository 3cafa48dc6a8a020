// The CLUB estimator of DAR's L_diff (docs/models.md §6.4): a variational network q(y | x) = N(μ(x), exp(logvar(x)))
// over sequences, and the two losses of src/engine/ops/club.ts evaluated on its output.
//
//   h      = BiLSTM(dim → dim/2 per direction)(x)                    (N, T, dim)
//   μ      = Linear(hidden → dim)(ReLU(Linear(dim → hidden)(h)))
//   logvar = Tanh(Linear(hidden → dim)(ReLU(Linear(dim → hidden)(h))))   bounded to (−1, 1), the CLUB convention
//
// Training alternates (docs/models.md §6.4, CMG's pattern): with x and y detached, a few steps of the estimator's own
// optimiser maximise logLikelihood(x, y) (minimise its negative); then miUpperBound(x, y), not detached, joins the main
// loss, and only the encoders producing x and y take its gradient (keep the estimator's parameters out of the main
// optimiser, or zero their gradients).

import { check } from '../errors';
import { nextSeed, subSeed } from '../seed';
import { assertLive, Tensor } from '../tensor';
import { reshape } from '../ops/shape';
import { clubLogLikelihood, clubUpperBound } from '../ops/club';
import { Linear, Module, ReLU, Sequential, Tanh } from './module';
import { BiLSTM } from './lstm';

export interface ClubEstimatorOptions {
  /** Width of the MLP heads' hidden layer (default dim). */
  hidden?: number;
  /** Hidden size of each LSTM direction (default dim / 2, so the BiLSTM output is dim wide). */
  lstmHidden?: number;
  /** Seed for the initial weights (default: the next seed of the global sequence, see manualSeed). */
  seed?: number;
}

export class ClubEstimator extends Module {
  readonly lstm: BiLSTM;
  readonly muHead: Sequential;
  readonly logvarHead: Sequential;
  readonly hidden: number;
  readonly lstmHidden: number;

  constructor(
    readonly dim: number,
    opts: ClubEstimatorOptions = {},
  ) {
    super();
    const op = 'ClubEstimator';
    check(Number.isInteger(dim) && dim > 0, op, `dim must be a positive integer, got ${dim}`);
    const { hidden = dim, lstmHidden = dim / 2 } = opts;
    check(Number.isInteger(hidden) && hidden > 0, op, `hidden must be a positive integer, got ${hidden}`);
    check(
      Number.isInteger(lstmHidden) && lstmHidden > 0,
      op,
      `lstmHidden must be a positive integer, got ${lstmHidden}${opts.lstmHidden === undefined ? ' (dim / 2: pass an even dim or lstmHidden)' : ''}`,
    );
    this.hidden = hidden;
    this.lstmHidden = lstmHidden;
    // One seed per submodule, derived from the estimator's, so every layer starts from different values.
    const seed = opts.seed ?? nextSeed();
    const sub = (k: number) => subSeed(seed, k);
    const width = 2 * lstmHidden;
    this.lstm = new BiLSTM(dim, lstmHidden, { seed: sub(1) });
    this.muHead = new Sequential(
      new Linear(width, hidden, { seed: sub(2) }),
      new ReLU(),
      new Linear(hidden, dim, { seed: sub(3) }),
    );
    this.logvarHead = new Sequential(
      new Linear(width, hidden, { seed: sub(4) }),
      new ReLU(),
      new Linear(hidden, dim, { seed: sub(5) }),
      new Tanh(),
    );
  }

  /** x (N, T, dim), or (N, dim) as a single step → μ and logvar of q(y | x), each shaped like x. */
  forward(x: Tensor): { mu: Tensor; logvar: Tensor } {
    const op = 'ClubEstimator';
    assertLive(op, x);
    check(
      (x.rank === 2 || x.rank === 3) && x.shape[x.rank - 1] === this.dim,
      op,
      `x must be (N, T, ${this.dim}) or (N, ${this.dim})`,
      [x.shape],
    );
    const seq = x.rank === 3 ? x : reshape(x, [x.shape[0], 1, this.dim]);
    const { output, h, c } = this.lstm.forward(seq); //                    output (N, T, 2·lstmHidden)
    h.dispose();
    c.dispose();
    let mu = this.muHead.forward(output);
    let logvar = this.logvarHead.forward(output);
    if (x.rank === 2) {
      mu = reshape(mu, x.shape);
      logvar = reshape(logvar, x.shape);
    }
    return { mu, logvar };
  }

  /** The estimator's training objective (maximise it): clubLogLikelihood(μ(x), logvar(x), y). */
  logLikelihood(x: Tensor, y: Tensor): Tensor {
    this.checkPair('ClubEstimator.logLikelihood', x, y);
    const { mu, logvar } = this.forward(x);
    return clubLogLikelihood(mu, logvar, y);
  }

  /** CLUB's upper bound on I(x; y) (minimise it in the encoders): clubUpperBound(μ(x), logvar(x), y). */
  miUpperBound(x: Tensor, y: Tensor): Tensor {
    this.checkPair('ClubEstimator.miUpperBound', x, y);
    const { mu, logvar } = this.forward(x);
    return clubUpperBound(mu, logvar, y);
  }

  private checkPair(op: string, x: Tensor, y: Tensor): void {
    assertLive(op, x, y);
    check(x.rank === y.rank && x.shape.every((d, i) => d === y.shape[i]), op, 'x and y must have the same shape', [
      x.shape,
      y.shape,
    ]);
  }
}
