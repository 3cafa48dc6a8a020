// The split-K plan of the GPU profile's GEMMs (src/engine/ops/splitk.ts): which products it splits, and that the
// slices it returns cover K exactly, in multiples of the kernels' tile-K, within the dispatch limits. Pure: Node only.

import { describe, expect, it } from 'vitest';
import { splitK } from '../src/engine/ops/splitk';

describe('split-K plan', () => {
  it('splits long-K products with few output tiles, and nothing else', () => {
    // DAR's Linear 128→512 dW = Xᵀ·dY: 128×512 outputs (16 tiles), K = 512 rows: 4 slices of 128.
    expect(splitK(128, 512, 512, 1)).toEqual({ slices: 4, kLen: 128 });
    // A small dW over 64·375 steps: one tile, so about 128 slices (kLen 24000/128 rounded up to 192: 125 of them).
    expect(splitK(8, 15, 64 * 375, 1)).toEqual({ slices: 125, kLen: 192 });
    expect(splitK(512, 512, 4096, 1).slices).toBe(1); // 64 tiles: the GPU is busy already
    expect(splitK(5, 7, 255, 1).slices).toBe(1); // K too short to be worth a second pass
    expect(splitK(5, 7, 0, 1)).toEqual({ slices: 1, kLen: 1 }); // an empty sum
    expect(splitK(5, 7, 300, 40).slices).toBe(1); // 40 output matrices: 40 tiles
  });

  it('returns slices of a multiple of 16 that cover K exactly, each at least 128 long bar the last', () => {
    for (const [M, N, K, Z] of [
      [5, 7, 300, 1],
      [5, 7, 700, 2],
      [40, 24, 2000, 1],
      [64, 64, 100003, 1],
      [1, 1, 256, 31],
    ]) {
      const { slices, kLen } = splitK(M, N, K, Z);
      const at = JSON.stringify([M, N, K, Z]);
      expect(slices, at).toBeGreaterThan(1);
      expect(kLen % 16, at).toBe(0);
      expect(kLen, at).toBeGreaterThanOrEqual(128);
      expect((slices - 1) * kLen, at).toBeLessThan(K); // no empty slice
      expect(slices * kLen, at).toBeGreaterThanOrEqual(K);
      expect(Z * slices, at).toBeLessThanOrEqual(65535);
    }
  });
});
