// The quality-floor arithmetic of `node dist/compare.mjs` (src/app/cli/compare.ts): the standard error of a difference of
// seed means, paired by seed when both runs trained the same seeds, and the margin check built on it; the runs' roles,
// found through the model catalog. Node only.

import { describe, expect, it } from 'vitest';
import { differenceSE, maeCheck, MIN_MAE_MARGIN, roles, type Run, type SeedStats } from '../src/app/cli/compare';

const stats = (values: number[], seeds = values.map((_, i) => 1111 + i)): SeedStats => {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  return { mean, std, n, perSeed: new Map(seeds.map((s, i) => [s, values[i]])) };
};

describe('compare: standard error of a difference', () => {
  it('pairs by seed when both runs have the same seeds (hand-computed)', () => {
    // Differences 0.068, 0.043, 0.073: mean 0.0613…, sample sd 0.016073, SE = sd / √3 = 0.0092797.
    const x = stats([0.923, 0.899, 1.002]);
    const y = stats([0.991, 0.942, 1.075]);
    const { se, paired } = differenceSE(x, y);
    expect(paired).toBe(true);
    expect(se).toBeCloseTo(0.0092797, 6);
  });

  it('falls back to the two standard deviations when the seeds differ or a side has none', () => {
    const x = stats([0.923, 0.899, 1.002]);
    const y = stats([0.991, 0.942, 1.075], [1, 2, 3]);
    const expected = Math.sqrt(x.std ** 2 / 3 + y.std ** 2 / 3);
    expect(differenceSE(x, y)).toEqual({ se: expected, paired: false });
    const constant: SeedStats = { mean: 1.258, std: 0, n: 1 };
    expect(differenceSE(x, constant)).toEqual({ se: Math.sqrt(x.std ** 2 / 3), paired: false });
  });

  it('a consistent per-seed gain passes paired although the seed spread hides it unpaired', () => {
    const x = stats([0.923, 0.899, 1.002]);
    const y = stats([0.991, 0.942, 1.075]);
    const paired = maeCheck(
      'x beats y',
      [0.9],
      () => x,
      () => y,
      0.5,
    );
    expect(paired.rows[0]).toMatchObject({ paired: true, pass: true });
    expect(paired.rows[0].needed).toBeCloseTo(Math.max(MIN_MAE_MARGIN, 2 * 0.0092797), 6);
    const unpaired = maeCheck(
      'x beats y',
      [0.9],
      () => ({ ...x, perSeed: undefined }),
      () => y,
      0.5,
    );
    expect(unpaired.rows[0]).toMatchObject({ paired: false, pass: false });
  });

  it('an inconsistent gain fails paired: one seed gets worse', () => {
    const x = stats([0.9, 0.95, 1.0]);
    const y = stats([1.0, 0.9, 1.1]); // differences 0.10, −0.05, 0.10
    const c = maeCheck(
      'x beats y',
      [0.5, 0.9],
      () => x,
      () => y,
      0.5,
    );
    expect(c.rows.every((r) => r.paired)).toBe(true);
    expect(c.pass).toBe(false);
  });

  it('only rates at or above the minimum are checked, and the floor is at least MIN_MAE_MARGIN', () => {
    const x = stats([0.5, 0.5, 0.5]);
    const y = stats([0.51, 0.51, 0.51]); // identical differences: SE 0, so the absolute floor decides
    const c = maeCheck(
      'x beats y',
      [0, 0.3, 0.5],
      () => x,
      () => y,
      0.3,
    );
    expect(c.rates).toEqual([0.3, 0.5]);
    expect(c.rows[0].needed).toBe(MIN_MAE_MARGIN);
    expect(c.pass).toBe(false);
  });
});

describe('compare: roles of the runs', () => {
  const run = (file: string, model: string, k: number) =>
    ({ file, json: { run: { model, trainMissingRate: k } } }) as unknown as Run;

  it('finds each role through the model catalog, old checkpoint spellings included', () => {
    const r = roles([run('a', 'latefusion', 0.3), run('b', 'DAR', 0), run('c', 'dar', 0.3), run('d', 'derl', 0.3)]);
    expect([r.dar?.file, r.dar0?.file, r.lf?.file, r.derl?.file]).toEqual(['c', 'b', 'a', 'd']);
    expect(roles([run('a', 'dar', 0.3)]).lf).toBeNull();
  });

  it('refuses a model the catalog does not know, and two runs of one role', () => {
    expect(() => roles([run('x/results.json', 'bert', 0.3)])).toThrow(
      'x/results.json: model "bert" is none of dar, latefusion, derl',
    );
    expect(() => roles([run('a', 'dar', 0.3), run('b', 'dar', 0.5)])).toThrow(
      'more than one DAR (k > 0) run given: a, b',
    );
  });
});
