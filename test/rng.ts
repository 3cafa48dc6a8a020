// Seeded random inputs for tests. Each run draws a fresh seed (printed on failure) unless WEBGRAD_SEED pins one.

import { hashString, mulberry32 } from '../src/engine/seed';

export class Rng {
  private readonly gen: () => number;
  constructor(seed: number) {
    this.gen = mulberry32(seed >>> 0 || 1);
  }
  /** mulberry32: small, fast, good enough for test inputs. */
  next(): number {
    return this.gen();
  }
  uniform(n: number, lo = -1, hi = 1): Float64Array {
    const a = new Float64Array(n);
    for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * this.next();
    return a;
  }
  normal(n: number, std = 1): Float64Array {
    const a = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const u = 1 - this.next();
      a[i] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
    }
    return a;
  }
  /** Magnitudes in [lo, hi] with random signs: keeps inputs away from kinks at 0 (abs, relu). */
  awayFromZero(n: number, lo = 0.1, hi = 1): Float64Array {
    const a = this.uniform(n, lo, hi);
    for (let i = 0; i < n; i++) if (this.next() < 0.5) a[i] = -a[i];
    return a;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Up to k distinct indices in [0, n). */
  sample(n: number, k: number): number[] {
    if (n <= k) return Array.from({ length: n }, (_, i) => i);
    const s = new Set<number>();
    while (s.size < k) s.add(this.int(n));
    return [...s];
  }
}

export const RUN_SEED = process.env.WEBGRAD_SEED ? Number(process.env.WEBGRAD_SEED) : (Date.now() % 1e9) >>> 0;

/** A generator for one test, derived from the run seed and the test's name, so every test gets fresh but reproducible inputs. */
export function rngFor(name: string): Rng {
  return new Rng(hashString(name, RUN_SEED ^ 0x811c9dc5));
}
