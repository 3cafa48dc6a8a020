// The grouped layers (src/engine/nn/grouped.ts) against their reference, the ungrouped LNLN layers of
// src/engine/nn/transformer.ts (themselves checked against float64 references and PyTorch in transformer.test.ts):
// group g with the g-th slice of every parameter gives the ungrouped layer's output.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from './page';
import { scenario } from './scenario';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

describe('grouped layers', () => {
  it('group g of each grouped layer is the ungrouped layer with the g-th parameters', async () => {
    const args = { G: 3, B: 2, Tq: 5, Tk: 7, dim: 12, heads: 2, dimHead: 4, mlpDim: 10, depth: 2, seed: 41 };
    const out = await scenario(page, 'groupedMatchesUngrouped', args);
    expect(Object.keys(out)).toEqual(['self-attention layer', 'cross-attention layer', 'Transformer', 'cross encoder']);
    for (const [name, groups] of Object.entries(out)) {
      expect(groups, name).toHaveLength(args.G);
      for (const [g, { diff, scale }] of groups.entries()) {
        expect(scale, `${name}, group ${g}`).toBeGreaterThan(0.1);
        const what = `${name}, group ${g}: max |grouped − ungrouped| of outputs up to ${scale}`;
        expect(diff, what).toBeLessThan(2e-5 * Math.max(1, scale));
      }
    }
  });
});
