// Every way a seed is made from another seed, in one place: the global sequence of unseeded random tensors, the
// seeds of a module's submodules and biases, the trainer's per-epoch shuffle, the per-epoch missing-data seed, the
// synthetic data's keyed streams, and the mulberry32 numbers of tests, benchmarks and the toy example.
//
// The formulas are frozen: checkpoints, the DAR/DERL parity fixtures and the synthetic data set were made with these
// exact values, so a change here changes every trained model. Add a new mixer rather than editing one. They differ
// for historical reasons only (each was written where it was first needed); all work on uint32 words with Math.imul,
// so every JS engine gives the same bits.

/** 2^32 / φ, the odd constant the mixers below spread a counter with. */
const GOLDEN = 0x9e3779b9;

let seedCounter = 0x5eed;

/** Sets the seed that random tensors made without an explicit seed draw from. */
export function manualSeed(seed: number): void {
  seedCounter = seed >>> 0;
}

/** Where the global sequence stands (manualSeed(seedState()) puts it back there). */
export function seedState(): number {
  return seedCounter;
}

/** The next seed of the global sequence (a 32-bit LCG step, so seeds never repeat within 2^32 draws). */
export function nextSeed(): number {
  seedCounter = (Math.imul(seedCounter, 1664525) + 1013904223) >>> 0;
  return seedCounter;
}

/**
 * A seed derived from `seed` for the k-th submodule (attention's projections, the grouped layers, DAR's and DERL's
 * blocks), or undefined to draw from the global sequence.
 */
export function deriveSeed(seed: number | undefined, k: number): number | undefined {
  if (seed === undefined) return undefined;
  let h = Math.imul((seed >>> 0) ^ Math.imul(k + 1, GOLDEN), 0x85ebca6b);
  h ^= h >>> 13;
  return Math.imul(h, 0xc2b2ae35) >>> 0;
}

/**
 * The one-multiply variant of deriveSeed: Linear's and Conv1d's bias (k = 1), the LSTM's weights (k = 1 + index) and
 * the CLUB estimator's submodules (k = 1…5).
 */
export function subSeed(seed: number, k: number): number {
  return Math.imul((seed ^ Math.imul(k, GOLDEN)) >>> 0, 0x85ebca6b) >>> 0;
}

/** The trainer's batch-order seed of an epoch: a splitmix-style hash of (seed, epoch). */
export function epochShuffleSeed(seed: number, epoch: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 0x632be5ab, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The missing-data seed of an epoch when each epoch draws fresh masks (src/app/data/missing.ts, mode 'fresh'). */
export function freshMissingSeed(seed: number, epoch: number): number {
  return (Math.imul(epoch + 1, 0x9e3779b1) ^ seed) >>> 0;
}

/** murmur3's 32-bit finaliser. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** One uint32 from a list of words (the synthetic data set keys its streams by seed, split, sample, modality). */
export function hashWords(words: number[]): number {
  let h = GOLDEN;
  for (const w of words) h = fmix32((h ^ (w >>> 0)) + 0x7f4a7c15);
  return h;
}

/** FNV-1a of a string, from `basis` (the tests derive each test's generator from the run seed and its name). */
export function hashString(text: string, basis: number): number {
  let h = basis;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** mulberry32 from `seed`: a function giving the next number in [0, 1). Small and fast; for inputs, not for crypto. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
