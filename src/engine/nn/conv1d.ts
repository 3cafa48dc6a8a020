// Conv1d: a 1-D convolution layer over (B, C_in, T), as torch.nn.Conv1d (zero padding only).
//
// DAR's alignment layer (docs/models.md §6.2) uses it two ways: Conv1d(T_m → t, kernel 1) applied to a (B, T_m, d_m)
// sequence treats the T_m time steps as channels and resamples the length to t (a learned linear mix over time), and
// the MulT-style alternative Conv1d(d_m → d, k, padding 'same') runs over time with the features as channels.

import { check } from '../errors';
import { rand } from '../creation';
import { nextSeed, subSeed } from '../seed';
import type { Tensor } from '../tensor';
import { conv1d, conv1dGeometry, type Conv1dKernel } from '../ops/conv1d';
import { Module, parameter, type UnaryModule } from './module';

export interface Conv1dModuleOptions {
  stride?: number;
  /** Zero padding on both sides, 'valid' (= 0) or 'same' (stride 1 only). */
  padding?: number | 'same' | 'valid';
  dilation?: number;
  groups?: number;
  /** Whether to add a learned bias (default true). */
  bias?: boolean;
  /** Seed for the initial weights (default: the next seed of the global sequence, see manualSeed). */
  seed?: number;
  /** Kernel rung (tests and benchmarks); default chosen by shape. */
  kernel?: Conv1dKernel;
}

/**
 * y = conv1d(x, weight, bias) with weight (C_out, C_in/groups, K) and bias (C_out), initialised like
 * torch.nn.Conv1d: kaiming-uniform with a = √5, which is U(−1/√fan_in, 1/√fan_in) with fan_in = C_in/groups·K, for
 * the weight and the bias alike.
 */
export class Conv1d extends Module implements UnaryModule {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly stride: number;
  readonly padding: number | 'same' | 'valid';
  readonly dilation: number;
  readonly groups: number;
  private readonly kernel?: Conv1dKernel;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    opts: Conv1dModuleOptions = {},
  ) {
    super();
    for (const [what, n] of [
      ['inChannels', inChannels],
      ['outChannels', outChannels],
      ['kernelSize', kernelSize],
    ] as const) {
      check(Number.isInteger(n) && n > 0, 'Conv1d', `${what} must be a positive integer, got ${n}`);
    }
    const { stride = 1, padding = 0, dilation = 1, groups = 1 } = opts;
    this.stride = stride;
    this.padding = padding;
    this.dilation = dilation;
    this.groups = groups;
    this.kernel = opts.kernel;
    // Validate the options now (with a stand-in input long enough for any kernel) rather than at the first forward.
    const span = dilation * (kernelSize - 1) + 1;
    conv1dGeometry(
      [1, inChannels, Number.isInteger(span) ? span : 1],
      [outChannels, inChannels / groups, kernelSize],
      null,
      this.options(),
      'Conv1d',
    );
    const fanIn = (inChannels / groups) * kernelSize;
    const bound = 1 / Math.sqrt(fanIn);
    const seed = opts.seed ?? nextSeed();
    this.weight = parameter(rand([outChannels, inChannels / groups, kernelSize], { low: -bound, high: bound, seed }));
    // A seed derived from the weight's (as Linear does), so one layer's bias does not repeat another's weights.
    const biasSeed = subSeed(seed, 1);
    this.bias =
      opts.bias === false ? null : parameter(rand([outChannels], { low: -bound, high: bound, seed: biasSeed }));
  }

  private options() {
    const o = { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
    return this.kernel ? { ...o, kernel: this.kernel } : o;
  }

  /** x (B, C_in, T) → (B, C_out, T_out). */
  forward(x: Tensor): Tensor {
    return conv1d(x, this.weight, this.bias, this.options());
  }
}
