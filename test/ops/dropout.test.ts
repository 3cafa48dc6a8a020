// Dropout: a three-tier gradcheck against the CPU mask, the mask's statistics and determinism, the identity cases,
// and typed errors for bad inputs.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectShapeError, gradcase, gradcheck } from '../gradcheck';
import { openPage, type TestPage } from '../page';
import { rngFor } from '../rng';
import { dropoutMask, dropoutRef } from '../../src/engine/ops/dropout.reference';
import type { AttrsOf } from './pages';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

describe('dropout', () => {
  it('matches the CPU mask bit for bit, with the gradient through the same mask', async () => {
    for (const [shape, p, seed] of [
      [[3, 17], 0.5, 1],
      [[17, 1, 33], 0.1, 77],
      [[1], 0.3, 5],
      [[65, 3], 0.9, 123456789],
    ] as [number[], number, number][]) {
      await gradcheck(page, {
        op: 'dropout',
        attrs: { p, seed },
        inputs: [{ shape }],
        ref: (xs) => dropoutRef(xs[0], shape, p, seed),
      });
    }
  });

  const runDropout = async (n: number, attrs: AttrsOf<'dropout'>, data?: number[]) => {
    const rng = rngFor(`dropout stats ${JSON.stringify(attrs)}`);
    const x = data ?? Array.from(rng.uniform(n, 0.5, 2));
    const weights = Array.from(rng.uniform(n, 0.5, 2));
    const r = await gradcase(page, {
      op: 'dropout',
      attrs,
      inputs: [{ shape: [n], data: x }],
      weights,
      fdIndices: [[]],
      fdEps: 1e-2,
    });
    return { x: Float32Array.from(x), w: Float32Array.from(weights), out: r.out, grad: r.grads[0]! };
  };

  it('keeps a fraction 1 − p scaled by 1/(1 − p), and backward uses the same mask', async () => {
    const n = 100_003;
    for (const p of [0.25, 0.6]) {
      const { x, w, out, grad } = await runDropout(n, { p, seed: 2024 });
      let kept = 0;
      const bad: number[] = []; // elements whose value or gradient is not the kept/dropped one
      for (let i = 0; i < n; i++) {
        if (out[i] !== 0) {
          kept++;
          const okOut = Math.abs(out[i] - x[i] / (1 - p)) <= 1e-6 * Math.abs(out[i]);
          const okGrad = Math.abs(grad[i] - w[i] / (1 - p)) <= 1e-6 * Math.abs(grad[i]);
          if (!okOut || !okGrad) bad.push(i);
        } else if (grad[i] !== 0) {
          bad.push(i);
        }
      }
      expect(bad.slice(0, 5).map((i) => [i, x[i], out[i], w[i], grad[i]])).toEqual([]);
      const sigma = Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs(kept / n - (1 - p))).toBeLessThan(5 * sigma);
      // Neighbouring elements are independent: P(both kept) ≈ (1 − p)².
      let both = 0;
      for (let i = 1; i < n; i++) both += out[i] !== 0 && out[i - 1] !== 0 ? 1 : 0;
      expect(Math.abs(both / (n - 1) - (1 - p) ** 2)).toBeLessThan(0.01);
      // The CPU mask agrees.
      const mask = dropoutMask(n, p, 2024);
      for (let i = 0; i < n; i++) if ((out[i] !== 0) !== (mask[i] === 1)) expect.fail(`mask differs at ${i}`);
    }
  });

  it('is deterministic given the seed and draws a fresh mask without one', async () => {
    const n = 4099;
    const a = await runDropout(n, { p: 0.5, seed: 9 });
    const b = await runDropout(n, { p: 0.5, seed: 9 });
    const c = await runDropout(n, { p: 0.5, seed: 10 });
    const d = await runDropout(n, { p: 0.5 }, Array.from(a.x));
    const e = await runDropout(n, { p: 0.5 }, Array.from(a.x));
    expect(b.out).toEqual(a.out);
    const differ = (u: number[], v: number[]) => u.filter((_, i) => (u[i] === 0) !== (v[i] === 0)).length / n;
    expect(differ(a.out, c.out)).toBeGreaterThan(0.4); // ≈ 2p(1 − p) = 0.5 for independent masks
    expect(differ(d.out, e.out)).toBeGreaterThan(0.4);
  });

  it('returns x unchanged for p = 0 and when not training', async () => {
    for (const attrs of [{ p: 0 }, { p: 0.5, training: false }]) {
      const { x, w, out, grad } = await runDropout(257, attrs);
      expect(out).toEqual(Array.from(x));
      expect(grad).toEqual(Array.from(w));
    }
  });
});

describe('dropout: bad inputs', () => {
  it('throw a WebgradError naming the op before any GPU work', async () => {
    const cases: [[number[]], AttrsOf<'dropout'>][] = [
      [[[3, 17]], { p: 1 }],
      [[[3, 17]], { p: -0.1 }],
      [[[3, 17]], { p: 1.5, training: false }],
      [[[3, 17]], { p: 0.5, seed: 1.5 }],
    ];
    for (const [shapes, attrs] of cases) await expectShapeError(page, 'dropout', shapes, attrs);
  });
});
