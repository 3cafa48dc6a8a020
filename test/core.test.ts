// The runtime itself: tensors in and out, creation, seeded random numbers, lifetimes, errors and batching.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from './page';
import { scenario, type ScenarioCallArgs } from './scenario';
import type { ScenarioName } from './page/scenarios';
import { rngFor } from './rng';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

const run = <K extends ScenarioName>(name: K, ...args: ScenarioCallArgs<K>) => scenario(page, name, ...args);

describe('tensors', () => {
  it('round-trips float32 data of odd sizes', async () => {
    const rng = rngFor('roundtrip');
    for (const n of [1, 3, 17, 129]) {
      const data = Array.from(new Float32Array(rng.uniform(n, -5, 5)));
      expect(await run('roundtrip', { data, shape: [n] })).toEqual(data);
    }
  });

  it('creates zeros, ones, full and empty-sized tensors', async () => {
    const r = await run('creation');
    expect(r.zeros).toEqual(new Array(15).fill(0));
    expect(r.ones).toEqual(new Array(17).fill(1));
    expect(r.full).toEqual([-2.5, -2.5, -2.5, -2.5]);
    expect(r.empty0).toBe(0);
  });

  it('draws seeded, reproducible random numbers with the right moments', async () => {
    const r = await run('random', { n: 20000, seed: 1234 });
    expect(r.reproducible).toBe(true);
    expect(r.differFraction).toBeGreaterThan(0.99);
    expect(Math.abs(r.normal.mean)).toBeLessThan(0.03);
    expect(Math.abs(r.normal.std - 1)).toBeLessThan(0.03);
    expect(Math.abs(r.shifted.mean - 5)).toBeLessThan(0.02);
    expect(Math.abs(r.shifted.std - 0.5)).toBeLessThan(0.02);
    expect(r.uniform.min).toBeGreaterThanOrEqual(-2);
    expect(r.uniform.max).toBeLessThan(3);
    expect(Math.abs(r.uniform.mean - 0.5)).toBeLessThan(0.05);
    expect(Math.abs(r.uniform.std - 5 / Math.sqrt(12))).toBeLessThan(0.05);
  });

  it('shares storage between views and frees it with the last one', async () => {
    const r = await run('viewsShareStorage');
    expect(r.stillReadable).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.shape).toEqual([3, 2]);
    expect(r.freedOnFirstDispose).toBe(0);
    expect(r.freedOnLastDispose).toBe(1);
  });
});

describe('autograd', () => {
  it('sums gradients over shared inputs and across backward calls; detach, noGrad and seeds behave', async () => {
    const data = Array.from(new Float32Array(rngFor('autograd').uniform(17, -2, 2)));
    const r = await run('autogradSemantics', { data });
    data.forEach((x, i) => {
      expect(r.once[i]).toBeCloseTo(2 * x + 4, 5);
      expect(r.twice[i]).toBeCloseTo(2 * (2 * x + 4), 5);
      expect(r.detached[i]).toBeCloseTo(x, 6);
      expect(r.seeded[i]).toBeCloseTo(i + 1, 6);
    });
    expect(r.noGradTracked).toBe(false);
    expect(r.implicitNonScalar).toBe('WebgradError');
  });
});

describe('errors', () => {
  it('rejects bad data and shapes with a WebgradError, and use after dispose', async () => {
    const r = await run('errors');
    for (const k of [
      'nonFinite',
      'infinite',
      'wrongCount',
      'badShape',
      'fractional',
      'disposedRead',
      'itemOfMany',
    ] as const) {
      expect(r[k], k).not.toBeNull();
      expect(r[k]?.name, k).toBe('WebgradError');
    }
    expect(r.nonFinite?.message).toMatch(/non-finite value NaN at flat index 1/);
    expect(r.wrongCount?.message).toMatch(/\[2, 2\]/);
    expect(r.disposedRead?.message).toMatch(/dispose/);
  });

  it('names the kernel file and line of a WGSL compile error', async () => {
    const r = await run('compileError');
    expect(r).not.toBeNull();
    expect(r?.name).toBe('KernelError');
    expect(r?.message).toMatch(/broken_kernel\.wgsl:3:/);
  });
});

describe('kernel contracts', () => {
  it('refuses a declaration or a dispatch that disagrees with the kernel, naming it; named values reach the kernel', async () => {
    const r = await run('contractErrors');
    expect(r.swapped).toMatch(/^KernelError: kernel scale_probe: @binding\(1\) is 'x' .* declared 'y'/);
    expect(r.missingParam).toMatch(/^KernelError: kernel scale_probe: dispatch lacks param 's'/);
    expect(r.extraBuffer).toMatch(/^KernelError: kernel scale_probe: dispatch passes buffer 'z'/);
    expect(r.recorded).toBe(0);
    expect(r.y).toEqual([7]); // 2·3 + 1: s as a float, n as a u32
  });
});

describe('kernel includes', () => {
  it('names the included file and its line for a compile error inside an include', async () => {
    const r = await run('includeCompileError');
    expect(r?.name).toBe('KernelError');
    expect(r?.message).toMatch(/^kernel includes_broken: test\/broken\.wgsl:3:/);
  });
});

describe('runtime', () => {
  it('tidy disposes what it does not return or keep, and freed buffers are reused', async () => {
    const r = await run('tidyAndPool');
    expect(r.liveAfterTidy).toBe(2);
    expect(r.liveAtEnd).toBe(1);
    expect(r.newAllocations).toBe(0);
  });

  it('records many dispatches per submit', async () => {
    const r = await run('batching', { n: 200, batchSize: 64 });
    expect(r.dispatches).toBe(200);
    expect(r.submits).toBeLessThanOrEqual(r.expected + 1);
    expect(r.submits).toBeGreaterThanOrEqual(r.expected);
  });
});
