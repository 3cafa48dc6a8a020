// The kernel tuning: which profile an adapter gets (src/engine/tuning.ts), how init({ tuning }) overrides it, and
// how ops pick their default rung from it. Pure functions, so these run in Node without a page.

import { describe, expect, it } from 'vitest';
import type { AdapterSummary } from '../src/engine/gpu';
import { chooseTuning, isCpuEmulated, pickRung } from '../src/engine/tuning';

const adapter = (over: Partial<AdapterSummary>): AdapterSummary => ({
  vendor: '',
  architecture: '',
  device: '',
  description: '',
  isFallbackAdapter: false,
  features: [],
  limits: {},
  ...over,
});

const swiftshader = adapter({ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true });
const nvidia = adapter({ vendor: 'nvidia', architecture: 'hopper', features: ['subgroups', 'timestamp-query'] });

describe('kernel tuning', () => {
  it('gives CPU-emulated adapters the cpu profile and GPUs the gpu profile with their vendor', () => {
    expect(chooseTuning(swiftshader)).toMatchObject({ profile: 'cpu', vendor: 'other', subgroups: false });
    expect(chooseTuning(nvidia)).toMatchObject({ profile: 'gpu', vendor: 'nvidia', subgroups: true });
    // Software rasterizers that do not call themselves fallback adapters are still CPU-emulated.
    for (const description of ['llvmpipe (LLVM 15.0.6, 256 bits)', 'Microsoft Basic Render Driver (WARP)']) {
      expect(isCpuEmulated(adapter({ vendor: 'mesa', description }))).toBe(true);
    }
    expect(chooseTuning(adapter({ vendor: 'apple', architecture: 'metal-3' })).vendor).toBe('apple');
    expect(chooseTuning(adapter({ vendor: 'intel', architecture: 'gen-12lp' })).profile).toBe('gpu');
  });

  it('lets init({ tuning }) override the adapter, and refuses what it cannot honour', () => {
    expect(chooseTuning(swiftshader, 'gpu')).toMatchObject({ profile: 'gpu', vendor: 'other' });
    expect(chooseTuning(swiftshader, 'gpu').reason).toMatch(/init\(\{ tuning \}\)/);
    expect(chooseTuning(nvidia, 'cpu')).toMatchObject({ profile: 'cpu' });
    expect(chooseTuning(swiftshader, { profile: 'gpu', vendor: 'apple' }).vendor).toBe('apple');
    expect(() => chooseTuning(swiftshader, 'fast' as never)).toThrow(/tuning must be one of cpu, gpu/);
    expect(() => chooseTuning(swiftshader, { profile: 'gpu', subgroups: true })).toThrow(/lacks the subgroups/);
    expect(chooseTuning(nvidia, { profile: 'gpu', subgroups: false }).subgroups).toBe(false);
  });

  it('picks the rung of the profile, or the vendor refinement of the gpu profile', () => {
    const rungs = { cpu: 'tiled', gpu: 'wg64', apple: 'wg32' } as const;
    expect(pickRung(chooseTuning(swiftshader), rungs)).toBe('tiled');
    expect(pickRung(chooseTuning(nvidia), rungs)).toBe('wg64');
    expect(pickRung(chooseTuning(adapter({ vendor: 'apple' })), rungs)).toBe('wg32');
    expect(pickRung(chooseTuning(adapter({ vendor: 'apple' }), 'cpu'), rungs)).toBe('tiled');
  });
});
