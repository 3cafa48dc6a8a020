// The error measure of the model parity tests (test/dar.test.ts, test/derl.test.ts): webgrad's float32 loss terms and
// gradients against the PyTorch reference's float64 ones, relative to each tensor's scale.

import { expect } from 'vitest';

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/**
 * max |a − b| / max(max |b|, floor): the error relative to the tensor's scale. The floor (a fraction of the largest
 * gradient of the model) only matters for tensors whose true gradient is (almost) zero, such as norm_k.bias, which
 * shifts every key of a softmax by the same amount and so has an exactly zero gradient that float32 sees as noise.
 */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 0): number {
  expect(a.length).toBe(b.length);
  let num = 0;
  for (let i = 0; i < b.length; i++) num = Math.max(num, Math.abs(a[i] - b[i]));
  const den = Math.max(maxAbs(b), floor);
  return den === 0 ? num : num / den;
}
