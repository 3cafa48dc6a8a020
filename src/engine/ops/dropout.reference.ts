// float64 CPU reference for dropout: the GPU's mask recomputed on the CPU, bit for bit. Pure TypeScript (no GPU
// imports), used by the tests.

import type { Ref } from './shape.reference';

// PCG output permutation as a 32-bit hash, exactly as in kernels/dropout/dropout.wgsl.
function pcg(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** Which elements dropout keeps for this seed: element i iff the top 24 bits of hash(seed, i) ≥ round(p·2^24). */
export function dropoutMask(n: number, p: number, seed: number): Uint8Array {
  const threshold = Math.round(p * 16777216);
  const base = pcg((seed ^ 0x2545f491) >>> 0);
  const keep = new Uint8Array(n);
  for (let i = 0; i < n; i++) keep[i] = pcg((base ^ i) >>> 0) >>> 8 >= threshold ? 1 : 0;
  return keep;
}

/** Inverted dropout with the GPU's mask: kept elements scaled by 1/(1 − p), the rest 0. */
export function dropoutRef(x: Float64Array, shape: readonly number[], p: number, seed: number): Ref {
  const keep = dropoutMask(x.length, p, seed);
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = keep[i] ? x[i] / (1 - p) : 0;
  return { data: y, shape: [...shape] };
}
