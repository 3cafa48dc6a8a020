// topkSoftmax (src/engine/ops/topk.ts, DERL's top-k router gate): three-tier gradient checks on odd shapes and k, ties, k ≥ C
// (the plain softmax), large logits, and bad arguments. The page side is test/ops/topk.page.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from '../page';
import { gradcase, gradcheck } from '../gradcheck';
import { scenario } from '../scenario';
import { refTopkSoftmax } from '../../src/engine/ops/topk.reference';
import { refSoftmax } from '../../src/engine/ops/softmax.reference';
import type { Rng } from '../rng';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

/**
 * Rows of C values at least 0.2 apart in random order (plus `shift`), so no finite-difference step (tier 2: 1e-6;
 * tier 3: 1e-2 relative) can change which k entries are selected.
 */
const separated =
  (C: number, shift = 0) =>
  (r: Rng, n: number) => {
    const out = new Float64Array(n);
    const noise = r.uniform(n, -0.05, 0.05);
    for (let row = 0; row < n / C; row++) {
      const order = Array.from({ length: C }, (_, j) => j);
      for (let j = C - 1; j > 0; j--) {
        const i = r.int(j + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (let j = 0; j < C; j++) out[row * C + j] = shift + 0.3 * (order[j] - C / 2) + noise[row * C + j];
    }
    return out;
  };

function check(shape: number[], k: number, shift = 0) {
  const C = shape[shape.length - 1];
  return gradcheck(page, {
    op: 'topkSoftmax',
    attrs: { k },
    inputs: [{ shape, gen: separated(C, shift) }],
    ref: ([x]) => refTopkSoftmax(x, shape, k),
    // Around ±300 the default relative step (3) would cross the 0.2 gaps; 1e-4 · 300 = 0.03 does not.
    tol: shift !== 0 ? { fdEps: 1e-4 } : undefined,
  });
}

describe('topkSoftmax', () => {
  it('three-tier gradcheck on odd shapes and k', async () => {
    for (const [shape, k] of [
      [[1], 1],
      [[3, 5], 2],
      [[17, 3], 1],
      [[2, 3, 7], 3],
      [[33, 4], 2],
      [[5, 9], 4],
      [[3, 65], 17],
    ] as [number[], number][]) {
      await check(shape, k);
    }
  });

  it('k ≥ C is the plain softmax; large logits stay finite', async () => {
    await check([7, 5], 5);
    await check([7, 5], 9);
    await check([5, 6], 2, 300); //   exp(300) would overflow float32 unshifted
    await check([5, 6], 2, -300);
    // And against softmax's own reference.
    const shape = [4, 3];
    const x = Array.from({ length: 12 }, (_, i) => Math.sin(i * 1.7) * 2);
    const r = await gradcase(page, {
      op: 'topkSoftmax',
      attrs: { k: 3 },
      inputs: [{ shape, data: x }],
      weights: new Array(12).fill(1),
      fdIndices: [[]],
      fdEps: 1e-2,
    });
    const want = refSoftmax(x, shape).data;
    for (let i = 0; i < 12; i++) expect(Math.abs(r.out[i] - want[i])).toBeLessThan(1e-6);
  });

  it('ties go to the lower index, unselected entries are exactly 0, rows sum to 1', async () => {
    const shape = [4, 4];
    const x = [1, 1, 1, 1, 0, 2, 2, 0, 3, -1, 3, 3, -5, -5, -5, -4];
    const k = 2;
    const r = await gradcase(page, {
      op: 'topkSoftmax',
      attrs: { k },
      inputs: [{ shape, data: x }],
      weights: new Array(16).fill(1),
      fdIndices: [[]],
      fdEps: 1e-2,
    });
    const want = refTopkSoftmax(x, shape, k).data;
    const selected = Array.from(want, (v) => (v > 0 ? 1 : 0));
    expect(selected).toEqual([1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1]);
    for (let i = 0; i < 16; i++) expect(Math.abs(r.out[i] - want[i]), `element ${i}`).toBeLessThan(1e-6);
    for (let row = 0; row < 4; row++) {
      const v = r.out.slice(row * 4, row * 4 + 4);
      expect(v.filter((q: number) => q === 0).length).toBe(2);
      expect(Math.abs(v.reduce((a: number, b: number) => a + b, 0) - 1)).toBeLessThan(1e-6);
    }
    // The last row keeps -4 and the first -5 (index 12): a tie among three -5's goes to the lowest index.
    expect(r.out[12]).toBeGreaterThan(0);
    expect(r.out[13]).toBe(0);
    expect(r.out[14]).toBe(0);
  });

  it('rejects bad k and rank 0 with a WebgradError before any GPU work', async () => {
    const r = await scenario(page, 'derlTopkBad');
    for (const [name, c] of Object.entries(r)) {
      expect(c.threw, name).toBe(true);
      expect(c.name, name).toBe('WebgradError');
      expect(c.message, name).toMatch(/topkSoftmax/);
      expect(c.dispatches, name).toBe(0);
    }
  });
});
