// Dropout with a counter-based mask: whether element i is kept is a pure function of (seed, i), so backward
// regenerates the mask from the seed instead of storing it (one kernel serves both directions).

import { runtime } from '../engine';
import { check } from '../errors';
import { grid1d, kernel } from '../runtime';
import { nextSeed } from '../seed';
import { assertLive, empty, record, Tensor } from '../tensor';
import dropoutSrc from '../../../kernels/dropout/dropout.wgsl';

const DROPOUT = kernel('dropout', dropoutSrc, {
  params: { n4: 'u32', seed: 'u32', threshold: 'u32', scale: 'f32' },
  buffers: { x: 'read', y: 'read_write' },
});

export interface DropoutOptions {
  /** Fixes the mask (the op is deterministic given it); default: the next seed of the global sequence (manualSeed). */
  seed?: number;
  /** false: return x unchanged (inference). Default true. */
  training?: boolean;
}

/** Keeps each element with probability 1 − p and scales it by 1/(1 − p); p in [0, 1). */
export function dropout(x: Tensor, p: number, opts: DropoutOptions = {}): Tensor {
  assertLive('dropout', x);
  check(typeof p === 'number' && p >= 0 && p < 1, 'dropout', `p must be in [0, 1), got ${p}`, [x.shape]);
  const { seed, training = true } = opts;
  check(seed === undefined || Number.isInteger(seed), 'dropout', `seed must be an integer, got ${seed}`, [x.shape]);
  if (p === 0 || !training) return x;
  const s = (seed ?? nextSeed()) >>> 0;
  const y = applyMask(x, p, s);
  return record(y, 'dropout', [x], (gy) => [applyMask(gy, p, s)]);
}

/** The kept-element threshold on a 24-bit uniform draw (shared with the CPU reference). */
export const dropoutThreshold = (p: number): number => Math.round(p * 16777216);

function applyMask(x: Tensor, p: number, seed: number): Tensor {
  const y = empty(x.shape, 'dropout');
  const n4 = Math.ceil(x.size / 4); // whole vec4s: buffers are allocated in 16-byte units
  runtime().dispatch({
    kernel: DROPOUT,
    params: { n4, seed, threshold: dropoutThreshold(p), scale: 1 / (1 - p) },
    buffers: { x: x.buffer, y: y.buffer },
    groups: grid1d(n4, 64),
  });
  return y;
}
