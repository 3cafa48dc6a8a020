// The seed mixers (src/engine/seed.ts) are frozen: checkpoints, the parity fixtures and the synthetic data set were
// made with these values. Each expectation below was computed with the formulas as they stood in their old homes
// (nn/attention.ts, nn/club.ts, nn/lstm.ts, nn/module.ts, creation.ts, train/run.ts, data/missing.ts,
// data/synthetic.ts, test/rng.ts) before they moved here; a change to any mixer fails this file.

import { describe, expect, it } from 'vitest';
import {
  deriveSeed,
  epochShuffleSeed,
  freshMissingSeed,
  hashString,
  hashWords,
  manualSeed,
  mulberry32,
  nextSeed,
  subSeed,
} from '../src/engine/seed';

describe('seed mixers', () => {
  it('derive submodule seeds as they always did', () => {
    expect(
      [
        [1111, 0],
        [1111, 1],
        [0, 7],
        [2 ** 32 - 1, 3],
      ].map(([s, k]) => deriveSeed(s, k)),
    ).toEqual([2920033829, 4084977564, 624251526, 1758894491]);
    expect(deriveSeed(undefined, 0)).toBeUndefined();
    expect(
      [
        [1111, 1],
        [1111, 5],
        [0, 2],
        [2 ** 32 - 1, 1],
      ].map(([s, k]) => subSeed(s, k)),
    ).toEqual([705261178, 4276520046, 2182984870, 3104136002]);
  });

  it("give the trainer's shuffle and the missing masks the seeds of every epoch as before", () => {
    expect(
      [
        [1111, 0],
        [1111, 1],
        [7, 41],
      ].map(([s, e]) => epochShuffleSeed(s, e)),
    ).toEqual([1181318267, 2774719646, 2119394412]);
    expect(
      [
        [1111, 0],
        [1111, 1],
        [7, 41],
      ].map(([s, e]) => freshMissingSeed(s, e)),
    ).toEqual([2654436838, 1013905205, 4112119565]);
  });

  it('hash data keys and test names, and draw mulberry32 numbers, as before', () => {
    expect([hashWords([0, 1, 2, 3]), hashWords([1111])]).toEqual([1399118303, 3957019567]);
    expect(hashString('a test', 0x811c9dc5)).toBe(2786919424);
    const next = mulberry32(1);
    expect([next(), next(), next()]).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
  });

  it('continue the global sequence from manualSeed', () => {
    manualSeed(0x5eed);
    expect([nextSeed(), nextSeed(), nextSeed()]).toEqual([2808820584, 2021916583, 3931011290]);
  });
});
