// Benchmark rows for InfoNCE at DAR's shapes (docs/models.md §6.4: batch 64, d = 128; L_sim^spec draws its negatives from two
// other modalities, 2·64 rows) and at a larger batch (512), forward and forward + backward. The generic-op
// ('composite') version is timed at DAR's shape beside the fused one, as the baseline the fusion is measured against.
// Reported in GFLOP/s: the cost is the N × (N + M) × D similarity matrix and its two backward products.

import type { KernelBench } from '../cases';
import { infoNCERef } from '../../src/engine/ops/infonce.reference';
import { randomData } from '../random-data';
import { instance, type Rung } from './scalar-loss';

function infoNCEBench(
  n: number,
  d: number,
  m: number,
  backward: boolean,
  kernel: Rung = 'fused',
  inBatch = true,
): KernelBench {
  const temperature = 0.1;
  const c = inBatch ? n + m : 1 + m;
  return {
    group: 'infonce',
    label: `N=${n} D=${d} M=${m}${inBatch ? '' : ' no in-batch'} τ=0.1, ${backward ? 'fwd+bwd' : 'fwd'}${kernel === 'composite' ? ' (composite ops)' : ''}`,
    // The similarity matrix (2·N·C·D) forward; backward adds dÂ = G·Ĉ and dĈ = Gᵀ·Â (2·N·C·D each).
    flops: (backward ? 6 : 2) * n * c * d,
    setup(w) {
      const arrays = [randomData(n * d, 1), randomData(n * d, 2), randomData(m * d, 3)];
      const shapes = [
        [n, d],
        [n, d],
        [m, d],
      ];
      return instance(
        w,
        arrays,
        shapes,
        backward,
        ([a, p, neg]) => w.infoNCE(a, p, { temperature, negatives: neg, inBatchNegatives: inBatch, kernel }),
        () => infoNCERef(arrays[0], arrays[1], arrays[2], n, d, m, { temperature, inBatchNegatives: inBatch }),
      );
    },
  };
}

export const BENCHES: KernelBench[] = [
  // DAR: L_sim^com (in-batch negatives) and L_sim^spec (2·64 negatives from the other modalities).
  infoNCEBench(64, 128, 0, false),
  infoNCEBench(64, 128, 0, true),
  infoNCEBench(64, 128, 128, false),
  infoNCEBench(64, 128, 128, true),
  infoNCEBench(64, 128, 128, true, 'fused', false),
  infoNCEBench(64, 128, 128, true, 'composite'),
  infoNCEBench(512, 128, 1024, false),
  infoNCEBench(512, 128, 1024, true),
];
