// The shape of a kernel benchmark row beyond the matmul ladder (conv1d, attention, LSTM, losses, ...).
// Each area lists its rows in bench/ops/<family>.ts as `export const BENCHES: KernelBench[]`; the bench page runs
// every row the same way: setup once, check once against the float64 CPU reference, warm up, then time runs of
// `inner` back-to-back calls of `run` ending in onSubmittedWorkDone.

import type * as wgType from '../src/index';

export interface KernelBenchInstance {
  /** Records one call (forward, or forward + backward) into the engine; tensors it makes are disposed by the caller's tidy. */
  run(): void;
  /** Max relative error of the GPU result vs the float64 CPU reference (max|got−want| / max|want|). */
  check(): Promise<number>;
  dispose(): void;
}

export interface KernelBench {
  /** Row group, e.g. 'conv1d', 'attention', 'bilstm', 'infonce', 'club'. */
  group: string;
  /** Shapes and mode, e.g. 'B=64 C=375→8 T=128 k=1, fwd+bwd'. */
  label: string;
  /** Floating-point operations of one call (for GFLOP/s), if meaningful. */
  flops?: number;
  /** Bytes moved by one call (for GB/s), for memory-bound rows. */
  bytes?: number;
  setup(w: typeof wgType): KernelBenchInstance;
}
