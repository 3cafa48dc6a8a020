// The decoupling probes' arithmetic (src/app/eval/probes.ts) on features with known answers, and synthetic-mosi's
// planted factors (src/app/data/synthetic.ts). Pure TypeScript; DAR's inspect() is checked in test/dar.test.ts.

import { describe, expect, it, vi } from 'vitest';
import { heldOutGaussianMi, heldOutR2, MI_NOISE, topOne } from '../src/app/eval/probe-math';
import { syntheticMosi, SYNTHETIC_PARAMS } from '../src/app/data/synthetic';
import { probeDecoupling, type Inspectable } from '../src/app/eval/probes';
import type { Tensor } from '../src/engine/tensor';

// probeDecoupling makes GPU tensors of the inputs lazily (on first access); the stand-in model below reads only the
// token ids, so the tensor maker is replaced by one that passes them on (and the engine, with its WGSL, stays unloaded).
vi.mock('../src/app/train/batches', () => ({
  lazyInputs: (b: { textBert?: Int32Array }) => ({ textBert: b.textBert }),
}));

/** A seeded N(0, 1) generator (Box–Muller on a small LCG): the test's own, so its inputs are fixed. */
function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

describe('decoupling probes', () => {
  const n = 256;
  const d = 8;
  const g = gaussian(7);
  const shared = Float64Array.from({ length: n * d }, g);
  const noisy = (scale: number) => Float64Array.from(shared, (v) => v + scale * g());
  const independent = () => Float64Array.from({ length: n * d }, g);

  it('top-1 retrieval: 1 for identical features, about 1/block for independent ones, in between for noisy copies', () => {
    expect(topOne([shared, shared], n, d, 32)).toBe(1);
    const chance = topOne([independent(), independent(), independent()], n, d, 32);
    expect(chance).toBeGreaterThan(0);
    expect(chance).toBeLessThan(0.1); // 1/32 ≈ 0.031
    const mid = topOne([noisy(0.5), noisy(0.5)], n, d, 32);
    expect(mid).toBeGreaterThan(0.3);
    expect(mid).toBeLessThan(1);
    // Over the whole set there are more candidates, so retrieval is harder than within blocks of 32.
    expect(topOne([noisy(0.5), noisy(0.5)], n, d, n)).toBeLessThan(mid);
  });

  it('held-out R²: near 1 for a linear function of the features, near 0 (or below) for an unrelated target', () => {
    const y = Float64Array.from({ length: n }, (_, i) => 2 * shared[i * d] - shared[i * d + 3]);
    expect(heldOutR2(shared, y, n, d, n / 2)).toBeGreaterThan(0.98);
    const unrelated = Float64Array.from({ length: n }, g);
    const r2 = heldOutR2(shared, unrelated, n, d, n / 2); // held out, so overfitting shows as a small negative R²
    expect(r2).toBeLessThan(0.1);
    expect(r2).toBeGreaterThan(-0.3);
  });

  it('held-out Gaussian MI: near 0 for independent features, near the closed form for y = x + σ·noise', () => {
    expect(Math.abs(heldOutGaussianMi(independent(), independent(), n, d, n / 2))).toBeLessThan(0.3);
    // y standardised: residual variance σ²/(1 + σ²) per feature; with the noise floor ε on both sides.
    const sigma = 0.5;
    const exact = d * 0.5 * Math.log((1 + MI_NOISE) / (sigma ** 2 / (1 + sigma ** 2) + MI_NOISE)); // ≈ 5.2 nats
    const est = heldOutGaussianMi(shared, noisy(sigma), n, d, n / 2);
    expect(est).toBeGreaterThan(0.8 * exact);
    expect(est).toBeLessThan(1.1 * exact);
    // Collapsed features (every row almost the same direction) stay finite: at most ½·d·ln(1 + 1/ε).
    const collapsed = Float64Array.from({ length: n * d }, (_, i) => 5 + 1e-4 * shared[i]);
    const bound = 0.5 * d * Math.log(1 + 1 / MI_NOISE);
    expect(heldOutGaussianMi(collapsed, collapsed, n, d, n / 2)).toBeLessThanOrEqual(bound + 1e-9);
  });
});

describe('synthetic-mosi planted factors', () => {
  it('latents() gives the factors the labels were made from, without changing the samples', () => {
    const ds = syntheticMosi({ seed: 3, size: 'tiny' });
    const before = ds.batch('valid', [0, 5]);
    const f = ds.latents('valid');
    const after = ds.batch('valid', [0, 5]);
    expect(after.text).toEqual(before.text);
    expect(after.audio).toEqual(before.audio);
    const labels = ds.split('valid').labels;
    const P = SYNTHETIC_PARAMS;
    for (let i = 0; i < ds.sizes.valid; i++) {
      const clean = P.shared * f.s[i] + P.specific * (f.zText[i] + f.zAudio[i] + f.zVision[i]);
      // The label adds 0.3·ε (|ε| ≤ 6), is clipped to [−3, 3] and rounded to a 0.2 grid.
      expect(Math.abs(labels[i] - Math.max(-3, Math.min(3, clean)))).toBeLessThanOrEqual(P.labelNoise * 6 + 0.1 + 1e-6);
    }
  });
});

describe('probeDecoupling on planted factors (a stand-in model whose features are known)', () => {
  // The stand-in's common features are a fixed linear map of u plus noise, its specific ones z_m plus noise; the probes
  // must report u in the common features (R² and retrieval) and not in the specific ones. Batches arrive in index
  // order (batchIndices without shuffling), so the stand-in reads the factors by position.
  const ds = syntheticMosi({ seed: 4, size: { valid: 160 }, sharedContent: 8 });
  const f = ds.latents('valid');
  const K = f.contentDim;
  const d = 12;
  const g = gaussian(11);
  const map = Float64Array.from({ length: K * d }, g); // u (K) → (d), the same for every modality: an aligned space
  const asTensor = (x: Float32Array) => ({ toArray: async () => x, dispose: () => undefined }) as unknown as Tensor;
  function standIn(): Inspectable {
    let at = 0;
    return {
      inspect(corrupted) {
        const B = corrupted.textBert!.length / (3 * ds.dims.text.len);
        const z = new Float32Array(6 * B * d);
        const priv = [f.zText, f.zVision, f.zAudio];
        for (let m = 0; m < 3; m++)
          for (let i = 0; i < B; i++)
            for (let q = 0; q < d; q++) {
              let v = 0;
              for (let c = 0; c < K; c++) v += f.u[(at + i) * K + c] * map[c * d + q];
              z[(m * B + i) * d + q] = v + 0.3 * g();
              z[((3 + m) * B + i) * d + q] = (q === 0 ? 2 * priv[m][at + i] : 0) + g();
            }
        at += B;
        const half = new Float32Array(6 * B).fill(0.5);
        return { z: asTensor(z), gate: asTensor(half), hatErr: asTensor(half), tildeErr: asTensor(half) };
      },
    };
  }

  it('reports u in the common features (R², retrieval) and not in the specific ones; null without planted content', async () => {
    const p = await probeDecoupling(standIn(), ds, { rate: 0.3, maskSeed: 1111, factors: f });
    expect(p.n).toBe(160);
    expect(p.r2!.contentFromCommon!).toBeGreaterThan(0.8);
    expect(p.r2!.contentFromSpecific!).toBeLessThan(0.1); // held out: overfitting noise shows as R² below 0
    expect(p.r2!.privateFromSpecific).toBeGreaterThan(0.5);
    expect(p.retrieval.common32).toBeGreaterThan(10 * p.retrieval.chance32);
    expect(p.retrieval.specific32).toBeLessThan(3 * p.retrieval.chance32);
    const none = await probeDecoupling(standIn(), ds, {
      rate: 0.3,
      maskSeed: 1111,
      factors: { ...f, contentDim: 0, u: new Float64Array(0) },
    });
    expect(none.r2!.contentFromCommon).toBeNull();
    expect(none.r2!.contentFromSpecific).toBeNull();
  });

  it('gives the same numbers, to the last bit, in batches of any size; a batch size that is not a positive integer is a RangeError', async () => {
    // A stand-in whose outputs depend on the sample alone (its index), the norms of such different sizes that float64
    // sums taken in another grouping round differently.
    function perSample(): Inspectable {
      let at = 0;
      return {
        inspect(corrupted) {
          const B = corrupted.textBert!.length / (3 * ds.dims.text.len);
          const z = new Float32Array(6 * B * d);
          const gate = new Float32Array(6 * B);
          const hat = new Float32Array(6 * B);
          const tilde = new Float32Array(6 * B);
          for (let k = 0; k < 6; k++)
            for (let i = 0; i < B; i++) {
              const s = at + i;
              for (let q = 0; q < d; q++) z[(k * B + i) * d + q] = Math.sin(0.37 * s + 1.1 * q + 2.3 * k);
              gate[k * B + i] = 0.5 + 0.4 * Math.sin(0.91 * s + k);
              hat[k * B + i] = (s % 3 ? 1234.5 : 1.7e-6) * (1 + ((s * 7919 + k * 104729) % 1013) / 1013); // wide exponents
              tilde[k * B + i] = Math.E * ((s * 6151 + k * 3571) % 997) * 1e-2;
            }
          at += B;
          return { z: asTensor(z), gate: asTensor(gate), hatErr: asTensor(hat), tildeErr: asTensor(tilde) };
        },
      };
    }
    const o = { rate: 0.3, maskSeed: 1111, factors: f };
    const base = await probeDecoupling(perSample(), ds, o);
    for (const batchSize of [48, 64, 100, 128, 160])
      expect(await probeDecoupling(perSample(), ds, { ...o, batchSize })).toEqual(base);
    for (const batchSize of [0, 2.5])
      await expect(probeDecoupling(perSample(), ds, { ...o, batchSize })).rejects.toThrow(RangeError);
  });
});
