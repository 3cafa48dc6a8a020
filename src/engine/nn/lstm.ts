// LSTM and BiLSTM modules: torch.nn.LSTM(batch_first=True) with the same parameter names, shapes and initialisation,
// so a PyTorch state dict maps one to one. The maths is lstm() in src/engine/ops/lstm.ts.

import { check } from '../errors';
import { rand } from '../creation';
import { nextSeed, subSeed } from '../seed';
import { Tensor } from '../tensor';
import { lstmOp, lstmWeightNames, type LstmKernel, type LstmResult, type LstmState } from '../ops/lstm';
import { Module, parameter } from './module';

export interface LSTMOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Add a reverse direction (default false); the output then has 2·hidden features. */
  bidirectional?: boolean;
  /** Learned biases b_ih and b_hh (default true). */
  bias?: boolean;
  /** Seed for the initial weights (default: the next seed of the global sequence, see manualSeed). */
  seed?: number;
  /** Which recurrence kernel runs (default: the tuning profile's, see defaultLstmKernel; LSTM_KERNELS lists them). */
  kernel?: LstmKernel;
}

/** The initial state { h0?, c0? }, (numLayers·directions, batch, hidden) each, zeros when absent: the same object
 * lstm() takes as its state argument. */
export type LSTMState = LstmState;

/**
 * A multi-layer LSTM over (batch, time, features) input. Parameters, in PyTorch's order and names:
 * weight_ih_l{k}[_reverse] (4H, I or D·H), weight_hh_l{k}[_reverse] (4H, H), bias_ih_l{k}[_reverse],
 * bias_hh_l{k}[_reverse] (4H), gate order i, f, g, o; each drawn from U(−1/√H, 1/√H) as torch does.
 */
export class LSTM extends Module {
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly bias: boolean;
  readonly kernel: LstmKernel | undefined;
  /** The parameters' names in PyTorch's flat order (the parameters themselves are fields of those names). */
  readonly weightNames: readonly string[];

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    opts: LSTMOptions = {},
  ) {
    super();
    const op = 'LSTM';
    const { numLayers = 1, bidirectional = false, bias = true, kernel } = opts;
    for (const [what, n] of [
      ['inputSize', inputSize],
      ['hiddenSize', hiddenSize],
      ['numLayers', numLayers],
    ] as const) {
      check(Number.isInteger(n) && n > 0, op, `${what} must be a positive integer, got ${n}`);
    }
    check(
      typeof bidirectional === 'boolean' && typeof bias === 'boolean',
      op,
      'bidirectional and bias must be booleans',
    );
    this.numLayers = numLayers;
    this.bidirectional = bidirectional;
    this.bias = bias;
    this.kernel = kernel;
    this.weightNames = lstmWeightNames(numLayers, bidirectional, bias);
    const H = hiddenSize;
    const D = bidirectional ? 2 : 1;
    const bound = 1 / Math.sqrt(H);
    const seed = opts.seed ?? nextSeed();
    this.weightNames.forEach((name, k) => {
      const layer = Number(/_l(\d+)/.exec(name)![1]);
      const shape = name.startsWith('weight_ih')
        ? [4 * H, layer === 0 ? inputSize : D * H]
        : name.startsWith('weight_hh')
          ? [4 * H, H]
          : [4 * H];
      // One seed per parameter, mixed from the module's, so no two parameters repeat each other's values.
      const s = subSeed(seed, k + 1);
      (this as unknown as Record<string, Tensor>)[name] = parameter(rand(shape, { low: -bound, high: bound, seed: s }));
    });
  }

  /** The parameters in PyTorch's flat order (what lstm() takes). */
  flatWeights(): Tensor[] {
    return this.weightNames.map((n) => (this as unknown as Record<string, Tensor>)[n]);
  }

  /** x (B, T, inputSize) → output (B, T, D·hidden), h and c (numLayers·D, B, hidden). */
  forward(x: Tensor, state: LSTMState = {}): LstmResult {
    const op = 'LSTM';
    return lstmOp(
      op,
      x,
      this.flatWeights(),
      {
        numLayers: this.numLayers,
        bidirectional: this.bidirectional,
        ...(this.kernel ? { kernel: this.kernel } : {}),
      },
      state,
    );
  }
}

/** A bidirectional LSTM (LSTM with bidirectional: true), as in the CLUB estimator (docs/models.md §6.4). */
export class BiLSTM extends LSTM {
  constructor(inputSize: number, hiddenSize: number, opts: Omit<LSTMOptions, 'bidirectional'> = {}) {
    super(inputSize, hiddenSize, { ...opts, bidirectional: true });
  }
}
