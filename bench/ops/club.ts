// Benchmark rows for the CLUB losses at DAR's shapes (batch 64, t = 8, d = 128) and at a larger batch (512), forward
// and forward + backward, with the generic-op ('composite') version beside the fused one as its baseline. CLUB is
// memory-bound (O(N·T·D) with no pairwise tensor) and reported in GB/s.

import type { KernelBench } from '../cases';
import { clubLogLikelihoodRef, clubUpperBoundRef } from '../../src/engine/ops/club.reference';
import { randomData } from '../random-data';
import { instance, type Rung } from './scalar-loss';

function clubBench(
  kind: 'upper' | 'loglik',
  n: number,
  t: number,
  d: number,
  backward: boolean,
  kernel: Rung = 'fused',
): KernelBench {
  const elems = n * t * d;
  const name = kind === 'upper' ? 'clubUpperBound' : 'clubLogLikelihood';
  return {
    group: 'club',
    label: `${name} N=${n} T=${t} D=${d}, ${backward ? 'fwd+bwd' : 'fwd'}${kernel === 'composite' ? ' (composite ops, N×N×T·D pairs)' : ''}`,
    // Forward reads μ, logvar, y; backward reads them again and writes three gradients.
    bytes: (backward ? 9 : 3) * 4 * elems,
    setup(w) {
      const shape = [n, t, d];
      const arrays = [randomData(elems, 4), randomData(elems, 5), randomData(elems, 6)]; // logvar in [−1, 1), as tanh gives
      const op = kind === 'upper' ? w.clubUpperBound : w.clubLogLikelihood;
      const ref = kind === 'upper' ? clubUpperBoundRef : clubLogLikelihoodRef;
      return instance(
        w,
        arrays,
        [shape, shape, shape],
        backward,
        ([mu, lv, y]) => op(mu, lv, y, { kernel }),
        () => ref(arrays[0], arrays[1], arrays[2], shape),
      );
    },
  };
}

export const BENCHES: KernelBench[] = [
  // DAR: L_diff per modality, and the estimator's inner-loop objective.
  clubBench('upper', 64, 8, 128, false),
  clubBench('upper', 64, 8, 128, true),
  clubBench('upper', 64, 8, 128, true, 'composite'),
  clubBench('loglik', 64, 8, 128, true),
  clubBench('upper', 512, 8, 128, false),
  clubBench('upper', 512, 8, 128, true),
];
