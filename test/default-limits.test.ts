// Issue 14: the engine runs on a device the user made with WebGPU's DEFAULT limits (8 storage buffers per stage,
// 16 KiB of workgroup memory, 256 invocations per workgroup), not only on the adapter's maxima that init() asks for.
// One DAR training step under each tuning profile, on such a device passed to init({ device, adapter, tuning }).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from './page';
import { scenario } from './scenario';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

const DIMS = { text: { len: 6, dim: 10 }, audio: { len: 5, dim: 3 }, vision: { len: 7, dim: 4 } };

describe('a device with default limits', () => {
  // Two fresh devices compile every pipeline of a DAR step twice: about 2 minutes on SwiftShader.
  it(
    'runs a DAR training step (small preset) under both tuning profiles, which agree',
    { timeout: 400_000 },
    async () => {
      const r = await scenario(page, 'darDefaultLimits', { dims: DIMS, B: 3, seed: 4 });
      for (const p of ['cpu', 'gpu'] as const) {
        const s = r[p];
        expect(s.tuning).toBe(p);
        expect(s.limits, 'the device has the default limits').toEqual([8, 16384, 256]);
        expect(Number.isFinite(s.total), `${p} total`).toBe(true);
        for (const [k, v] of Object.entries({ ...s.terms, ...s.aux }))
          expect(Number.isFinite(v), `${p} ${k}`).toBe(true);
        expect(s.maxGrad).toBeGreaterThan(0);
      }
      // The profiles run different attention kernels (the small preset's heads have Dh 16: tiled, or flash).
      expect(r.cpu.attentionKernels).toEqual(['attention_grad_kv_tiled', 'attention_grad_q_tiled', 'attention_tiled']);
      expect(r.gpu.attentionKernels).toEqual(['attention_flash', 'attention_grad_kv_flash', 'attention_grad_q_flash']);
      // Same model, batch and seed: the losses agree to float32 rounding, the gradients to 1e-4 of the largest.
      expect(Math.abs(r.cpu.total - r.gpu.total)).toBeLessThan(1e-5 * Math.max(1, Math.abs(r.cpu.total)));
      for (const k of Object.keys(r.cpu.terms)) {
        expect(Math.abs(r.cpu.terms[k] - r.gpu.terms[k]), k).toBeLessThan(1e-5 * Math.max(1, Math.abs(r.cpu.terms[k])));
      }
      expect(r.gradDiff).toBeLessThan(1e-4 * r.cpu.maxGrad);
    },
  );
});
