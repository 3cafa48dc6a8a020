// The benchmarks' input data: deterministic from a seed (mulberry32), so every run, row and framework sees the same
// numbers on every machine.

import { mulberry32 } from '../src/engine/seed';

/** n values uniform in [lo, hi). */
export function randomData(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + next() * (hi - lo);
  return out;
}
