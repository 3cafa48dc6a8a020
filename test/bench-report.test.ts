// The key that names a bench results file and its RESULTS.md section: one adapter, one section.

import { describe, expect, it } from 'vitest';
import { adapterKey, adapterName, type BenchResults } from '../bench/report';

const results = (adapter: string, browser = '/usr/bin/chromium') => ({ adapter, browser }) as BenchResults;

describe('bench results key', () => {
  it('keeps SwiftShader in one section when Chromium adds its device description', () => {
    const old = 'google / swiftshader [fallback adapter: CPU-emulated]';
    const now = 'google / swiftshader (SwiftShader Device (Subzero)) [fallback adapter: CPU-emulated]';
    expect(adapterKey(results(old))).toBe('google-swiftshader');
    expect(adapterKey(results(now))).toBe('google-swiftshader');
    expect(adapterName(now)).toBe('google / swiftshader');
  });

  it('keeps a description that names another thing (the GPU model) and marks Node runs', () => {
    const gpu = 'nvidia / hopper (NVIDIA H100 80GB HBM3)';
    expect(adapterKey(results(gpu))).toBe('nvidia-hopper-nvidia-h100-80gb-hbm3');
    expect(adapterKey(results(gpu, 'none: --runtime node (Dawn)'))).toBe('nvidia-hopper-nvidia-h100-80gb-hbm3-node');
  });
});
