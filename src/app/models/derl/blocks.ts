// DERL's own building blocks (docs/models.md §7); the grouped layers and the MLP head are the engine's
// (src/engine/nn/grouped.ts) and the alignment layer is DAR's (src/app/models/dar/blocks.ts), so a group of a DERL module is the same
// PyTorch-shaped block as in DAR.
//
//   InputDecoder        Dec^u_m: per-step MLP 2d → h → d_m (GELU), then Conv1d(t → T_m, kernel 1) with the t steps as
//                       channels (the alignment layer backwards): (B, t, 2d) → (B, T_m, d_m). Names mlp.fc1/fc2, conv.
//   ImportanceScorer    score_i = vᵀ tanh(W e_i): fc = Linear(d → h_a) (W, with bias), score = Linear(h_a → 1, no bias).
//   routerGates         soft or top-k gates of router logits.
//   switchBalance       K·Σ_k f_k·p_k of one expert pool.
//   softOrthogonality   Σ_pairs mean((Âᵀ B̂)²) of batch-centred, row-normalised matrices (MISA's DiffLoss).
//   centralMomentDiscrepancy   MISA's CMD between the rows of a stack of batches.

import type { Tensor } from '../../../engine/tensor';
import { addScalar, mul, mulScalar, pow, rsqrt, sqrt, sub, tanh } from '../../../engine/ops/elementwise';
import { mean, sum } from '../../../engine/ops/reduce';
import { softmax } from '../../../engine/ops/softmax';
import { topkSoftmax } from '../../../engine/ops/topk';
import { matmul } from '../../../engine/ops/matmul';
import { concat, gatherRows, reshape } from '../../../engine/ops/shape';
import { Linear, Module } from '../../../engine/nn/module';
import { Conv1d } from '../../../engine/nn/conv1d';
import { deriveSeed } from '../../../engine/seed';
import { MLP } from '../../../engine/nn/grouped';

/** Dec^u_m: (B, t, 2d) → (B, T_m, d_m), see the top of this file. */
export class InputDecoder extends Module {
  readonly mlp: MLP;
  readonly conv: Conv1d;

  constructor(
    readonly t: number,
    inDim: number,
    hidden: number,
    readonly len: number,
    readonly outDim: number,
    seed?: number,
  ) {
    super();
    this.mlp = new MLP(inDim, hidden, outDim, 'gelu', deriveSeed(seed, 0));
    this.conv = new Conv1d(t, len, 1, { seed: deriveSeed(seed, 1) });
  }

  forward(x: Tensor): Tensor {
    return this.conv.forward(this.mlp.forward(x)); //   (B, t, d_m) → (B, T_m, d_m)
  }
}

/** vᵀ tanh(W e): (..., d) → (..., 1). */
export class ImportanceScorer extends Module {
  readonly fc: Linear;
  readonly score: Linear;

  constructor(dim: number, hidden: number, seed?: number) {
    super();
    this.fc = new Linear(dim, hidden, { seed: deriveSeed(seed, 0) });
    this.score = new Linear(hidden, 1, { bias: false, seed: deriveSeed(seed, 1) });
  }

  forward(e: Tensor): Tensor {
    return this.score.forward(tanh(this.fc.forward(e)));
  }
}

/**
 * The router's gates and probabilities from its logits (..., K): soft routing uses the softmax for both; top-k (k < K)
 * gates with the top-k softmax and keeps the full softmax as the probabilities the balance term reads.
 */
export function routerGates(logits: Tensor, topK: number): { gates: Tensor; probs: Tensor } {
  const K = logits.shape[logits.rank - 1];
  const probs = softmax(logits);
  return { gates: topK > 0 && topK < K ? topkSoftmax(logits, topK) : probs, probs };
}

/**
 * Switch-style load balance K·Σ_k f_k·p_k per pool, averaged over pools: gates and probs (P, N, K) for P pools of N
 * routing decisions; f = mean gate (detached: Switch's dispatch fraction has no gradient), p = mean probability.
 * 1 for a perfectly balanced pool.
 */
export function switchBalance(gates: Tensor, probs: Tensor): Tensor {
  const [P, , K] = probs.shape;
  const f = mean(gates.detach(), 1); //                                      (P, K)
  const p = mean(probs, 1); //                                               (P, K)
  return mulScalar(sum(mul(f, p)), K / P);
}

/**
 * MISA-style soft orthogonality: z (G, B, d) is centred over the batch and each row L2-normalised (x / √(‖x‖² + 1e-12));
 * returns Σ over the pairs (left[i], right[i]) of mean((ẑ_leftᵀ ẑ_right)²) over the d × d entries.
 */
export function softOrthogonality(z: Tensor, left: readonly number[], right: readonly number[]): Tensor {
  const [G, B, d] = z.shape;
  const c = sub(z, mean(z, 1, true)); //                                     (G, B, d)
  const zn = mul(c, rsqrt(addScalar(sum(mul(c, c), 2, true), 1e-12))); //     rows of unit norm (or 0)
  const rows = reshape(zn, [G, B * d]);
  const a = reshape(gatherRows(rows, left), [left.length, B, d]);
  const b = reshape(gatherRows(rows, right), [right.length, B, d]);
  const m = matmul(a, b, { transA: true }); //                              (pairs, d, d)
  return mulScalar(sum(mul(m, m)), 1 / (d * d));
}

/**
 * MISA's central moment discrepancy between the batches z[left[i]] and z[right[i]] (z: (G, B, d)), summed over the
 * pairs: ‖mean X − mean Y‖₂ + Σ_{k=2..K} ‖c_k(X) − c_k(Y)‖₂, c_k the k-th central moment per feature over the batch.
 * The norms are √(‖·‖² + 1e-12), so the gradient stays finite when two moments agree.
 */
export function centralMomentDiscrepancy(
  z: Tensor,
  left: readonly number[],
  right: readonly number[],
  K: number,
): Tensor {
  const [G, , d] = z.shape;
  const mu = mean(z, 1, true); //                                            (G, 1, d)
  const c = sub(z, mu);
  const moments = [reshape(mu, [G, d])];
  for (let k = 2; k <= K; k++) moments.push(mean(pow(c, k), 1)); //         (G, d) each
  const all = moments.length === 1 ? moments[0] : concat(moments, 1); //    (G, K·d)
  const diff = reshape(sub(gatherRows(all, left), gatherRows(all, right)), [left.length, K, d]);
  const d2 = sum(mul(diff, diff), 2); //                                    (pairs, K)
  return sum(sqrt(addScalar(d2, 1e-12)));
}
