// Benchmark rows for the contrastive losses at DAR's shapes (docs/models.md §6.4: batch 64, t = 8, d = 128; L_sim^spec
// draws its negatives from two other modalities, 2·64 rows) and at a larger batch (512), forward and forward +
// backward. The generic-op ('composite') versions are timed at DAR's shape beside the fused ones, as the baseline the
// fusion is measured against. InfoNCE is reported in GFLOP/s (its cost is the N × (N + M) × D similarity matrix and its
// two backward products); CLUB is memory-bound (O(N·T·D) with no pairwise tensor) and reported in GB/s.

import type * as wgType from '../src/index';
import type { KernelBench, KernelBenchInstance } from './cases';
import { infoNCERef } from '../src/engine/reference/infonce';
import { clubLogLikelihoodRef, clubUpperBoundRef } from '../src/engine/reference/club';
import { randomData } from './random-data';

type Wg = typeof wgType;
type Impl = 'fused' | 'composite';


const relErr = (got: number, want: number) => Math.abs(got - want) / Math.max(Math.abs(want), 1e-30);

/** One benchmark instance: inputs made once; run() records the loss (and backward, freeing the gradients). */
function instance(w: Wg, arrays: Float32Array[], shapes: number[][], backward: boolean,
  loss: (xs: wgType.Tensor[]) => wgType.Tensor, ref: () => number): KernelBenchInstance {
  const xs = arrays.map((a, i) => w.tensor(a, shapes[i], { requiresGrad: backward }).keep());
  return {
    run() {
      const y = loss(xs);
      if (!backward) return;
      y.backward();
      for (const x of xs) {
        x.grad?.dispose();
        x.grad = null;
      }
    },
    async check() {
      const y = w.noGrad(() => loss(xs));
      const got = await y.item();
      y.dispose();
      return relErr(got, ref());
    },
    dispose() {
      for (const x of xs) {
        x.grad?.dispose();
        x.dispose();
      }
    },
  };
}

function infoNCEBench(n: number, d: number, m: number, backward: boolean, impl: Impl = 'fused', inBatch = true): KernelBench {
  const temperature = 0.1;
  const c = inBatch ? n + m : 1 + m;
  return {
    group: 'infonce',
    label: `N=${n} D=${d} M=${m}${inBatch ? '' : ' no in-batch'} τ=0.1, ${backward ? 'fwd+bwd' : 'fwd'}${impl === 'composite' ? ' (composite ops)' : ''}`,
    // The similarity matrix (2·N·C·D) forward; backward adds dÂ = G·Ĉ and dĈ = Gᵀ·Â (2·N·C·D each).
    flops: (backward ? 6 : 2) * n * c * d,
    setup(w) {
      const arrays = [randomData(n * d, 1), randomData(n * d, 2), randomData(m * d, 3)];
      const shapes = [[n, d], [n, d], [m, d]];
      return instance(w, arrays, shapes, backward,
        ([a, p, neg]) => w.infoNCE(a, p, { temperature, negatives: neg, inBatchNegatives: inBatch, impl }),
        () => infoNCERef(arrays[0], arrays[1], arrays[2], n, d, m, { temperature, inBatchNegatives: inBatch }));
    },
  };
}

function clubBench(kind: 'upper' | 'loglik', n: number, t: number, d: number, backward: boolean, impl: Impl = 'fused'): KernelBench {
  const elems = n * t * d;
  const name = kind === 'upper' ? 'clubUpperBound' : 'clubLogLikelihood';
  return {
    group: 'club',
    label: `${name} N=${n} T=${t} D=${d}, ${backward ? 'fwd+bwd' : 'fwd'}${impl === 'composite' ? ' (composite ops, N×N×T·D pairs)' : ''}`,
    // Forward reads μ, logvar, y; backward reads them again and writes three gradients.
    bytes: (backward ? 9 : 3) * 4 * elems,
    setup(w) {
      const shape = [n, t, d];
      const arrays = [randomData(elems, 4), randomData(elems, 5), randomData(elems, 6)]; // logvar in [−1, 1), as tanh gives
      const op = kind === 'upper' ? w.clubUpperBound : w.clubLogLikelihood;
      const ref = kind === 'upper' ? clubUpperBoundRef : clubLogLikelihoodRef;
      return instance(w, arrays, [shape, shape, shape], backward, ([mu, lv, y]) => op(mu, lv, y, { impl }),
        () => ref(arrays[0], arrays[1], arrays[2], shape));
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
  // DAR: L_diff per modality, and the estimator's inner-loop objective.
  clubBench('upper', 64, 8, 128, false),
  clubBench('upper', 64, 8, 128, true),
  clubBench('upper', 64, 8, 128, true, 'composite'),
  clubBench('loglik', 64, 8, 128, true),
  clubBench('upper', 512, 8, 128, false),
  clubBench('upper', 512, 8, 128, true),
];
