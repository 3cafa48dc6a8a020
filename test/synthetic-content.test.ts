// synthetic-mosi's shared content u (src/app/data/synthetic.ts, `sharedContent`): the old bytes with K = 0, a pinned
// digest for the default, u entering the frames only along G_m (never c_m or e_m) and the token ids only through the
// fillers, independent of the label, and readable from every modality. Pure TypeScript, no GPU.

import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  SHARED_CONTENT_DEFAULT,
  SYNTHETIC_PARAMS,
  SYNTHETIC_VOCAB,
  syntheticMosi,
  type SyntheticMosi,
} from '../src/app/data/synthetic';
import type { Batch } from '../src/app/data/types';

const FIELDS = [
  'text',
  'textMask',
  'audio',
  'audioMask',
  'audioLengths',
  'vision',
  'visionMask',
  'visionLengths',
  'labels',
  'textBert',
] as const;

/** SHA-256 over every field of a batch, token ids included. */
function digest(b: Batch): string {
  const h = crypto.createHash('sha256');
  for (const k of FIELDS) {
    const x = b[k]!;
    h.update(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  }
  return h.digest('hex');
}

/** The generator's directions (private: read here only to check where u goes). */
function world(ds: SyntheticMosi) {
  const w = ds as unknown as { world: { c: Float64Array[]; e: Float64Array[] }; content: Float64Array[] };
  return { c: w.world.c, e: w.world.e, G: w.content };
}

const MODS = [
  ['text', 0],
  ['audio', 1],
  ['vision', 2],
] as const;

describe('synthetic-mosi shared content u', () => {
  it('sharedContent: 0 gives the bytes of the data before u existed (every field, token ids too; pinned from that code)', () => {
    const b = syntheticMosi({ seed: 7, size: 'tiny', sharedContent: 0 }).batch('test', [0, 13, 31]);
    expect(digest(b)).toBe('9b5199027284476b3aef482727c4f75f67e2e4214895d2467dd160b6fc121003');
  });

  it('the default is K = 0 (the old bytes); K = 8 plants u and its bytes are pinned', () => {
    expect(SHARED_CONTENT_DEFAULT).toBe(0);
    expect(syntheticMosi({ seed: 7, size: 'tiny' }).sharedContent).toBe(0);
    const ds = syntheticMosi({ seed: 7, size: 'tiny', sharedContent: 8 });
    expect(ds.sharedContent).toBe(8);
    expect(digest(ds.batch('test', [0, 13, 31]))).toBe(
      '45be36a439f25fdb736a767c03f4b73dd64ee58d668250fccb41d14ed0a76e85',
    );
  });

  it('rejects a K that is not an integer in 0…32', () => {
    for (const k of [-1, 1.5, 33, NaN]) expect(() => syntheticMosi({ sharedContent: k })).toThrow(RangeError);
  });

  it('u changes the frames by γ_m·G_m·u on the real frames only, orthogonal to c_m and e_m; labels and lengths unchanged', () => {
    const idx = [0, 7, 21, 40];
    const with8 = syntheticMosi({ seed: 5, size: 'tiny', sharedContent: 8 });
    const a = with8.batch('train', idx);
    const b = syntheticMosi({ seed: 5, size: 'tiny', sharedContent: 0 }).batch('train', idx);
    expect(a.labels).toEqual(b.labels);
    expect(a.textMask).toEqual(b.textMask);
    expect(a.audioLengths).toEqual(b.audioLengths);
    expect(a.visionLengths).toEqual(b.visionLengths);
    const { c, e, G } = world(with8);
    const f = with8.latents('train');
    const K = f.contentDim;
    expect(K).toBe(8);
    const Tt = with8.dims.text.len;
    for (const [m, k] of MODS) {
      const { len: T, dim: d } = with8.dims[m];
      let worst = 0; // the largest error beyond float32 rounding
      for (let s = 0; s < idx.length; s++) {
        const L =
          m === 'text'
            ? b.textMask.subarray(s * Tt, (s + 1) * Tt).reduce((x, v) => x + v, 0)
            : m === 'audio'
              ? b.audioLengths[s]
              : b.visionLengths[s];
        const u = f.u.subarray(idx[s] * K, (idx[s] + 1) * K);
        for (let j = 0; j < T; j++) {
          let onC = 0;
          let onE = 0;
          for (let q = 0; q < d; q++) {
            const off = (s * T + j) * d + q;
            const diff = a[m][off] - b[m][off];
            let want = 0;
            if (j < L)
              for (let col = 0; col < K; col++) want += SYNTHETIC_PARAMS.content[m] * G[k][q * K + col] * u[col];
            worst = Math.max(worst, Math.abs(diff - want) - 1e-5 * (1 + Math.abs(b[m][off])));
            onC += diff * c[k][q];
            onE += diff * e[k][q];
          }
          expect(Math.abs(onC), `${m}: u leaks into s's direction`).toBeLessThan(1e-4);
          expect(Math.abs(onE), `${m}: u leaks into z_m's direction`).toBeLessThan(1e-4);
        }
      }
      expect(worst, `${m}: frames − frames without u = γ_m·G_m·u on real frames, 0 on padding`).toBeLessThan(1e-6);
    }
  });

  it('token ids: u changes fillers only; specials, "not", sentiment words and their positions keep their bytes', () => {
    const idx = Array.from({ length: 48 }, (_, i) => i);
    const a = syntheticMosi({ seed: 2, size: 'tiny', sharedContent: 8 }).batch('train', idx).textBert!;
    const b = syntheticMosi({ seed: 2, size: 'tiny', sharedContent: 0 }).batch('train', idx).textBert!;
    const isFiller = (id: number) => id >= 1 && id <= SYNTHETIC_VOCAB.fillers;
    let changed = 0;
    for (let i = 0; i < a.length; i++) {
      if (isFiller(b[i])) {
        expect(isFiller(a[i]), `position ${i}: a filler stays a filler`).toBe(true);
        changed += a[i] !== b[i] ? 1 : 0;
      } else {
        expect(a[i], `position ${i}: ${b[i]} is not a filler`).toBe(b[i]);
      }
    }
    expect(changed).toBeGreaterThan(100);
  });

  it('u is independent of the label, and readable from every modality: frames along G_m, fillers by topic', () => {
    const ds = syntheticMosi({ seed: 1, size: { train: 600 }, sharedContent: 8 });
    const n = 600;
    const idx = Array.from({ length: n }, (_, i) => i);
    const batch = ds.batch('train', idx);
    const f = ds.latents('train');
    const K = f.contentDim;
    const corr = (x: ArrayLike<number>, y: ArrayLike<number>) => {
      const mx = Array.from(x).reduce((s, v) => s + v, 0) / n;
      const my = Array.from(y).reduce((s, v) => s + v, 0) / n;
      let sxy = 0;
      let sxx = 0;
      let syy = 0;
      for (let i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) ** 2;
        syy += (y[i] - my) ** 2;
      }
      return sxy / Math.sqrt(sxx * syy);
    };
    const col = (c: number) => Array.from({ length: n }, (_, i) => f.u[i * K + c]);
    for (let c = 0; c < K; c++) expect(Math.abs(corr(col(c), batch.labels)), `u_${c} vs label`).toBeLessThan(0.12);
    // Frames: the time-mean frame read along G_m's column c correlates with u_c (vision: 18 free dims, text: 766).
    const { G } = world(ds);
    const Tt = ds.dims.text.len;
    for (const [m, k] of MODS) {
      if (m === 'audio') continue; // 5 dims hold only 3 of u's directions: checked by the ceiling bench, not here
      const { len: T, dim: d } = ds.dims[m];
      const L = (i: number) =>
        m === 'text'
          ? batch.textMask.subarray(i * Tt, (i + 1) * Tt).reduce((x, v) => x + v, 0)
          : batch.visionLengths[i];
      for (let c = 0; c < K; c++) {
        const read = Array.from({ length: n }, (_, i) => {
          let s = 0;
          for (let j = 0; j < L(i); j++)
            for (let q = 0; q < d; q++) s += batch[m][(i * T + j) * d + q] * G[k][q * K + c];
          return s / L(i);
        });
        expect(corr(read, col(c)), `${m}: u_${c}`).toBeGreaterThan(0.6);
      }
    }
    // Fillers: the share of a text's fillers in the block of its largest u_k is far above 1/K.
    const w = Math.floor(SYNTHETIC_VOCAB.fillers / K);
    let share = 0;
    for (let i = 0; i < n; i++) {
      const u = Array.from({ length: K }, (_, c) => f.u[i * K + c]);
      const top = u.indexOf(Math.max(...u));
      const ids = batch.textBert!.subarray(i * 3 * Tt, i * 3 * Tt + Tt);
      let inTop = 0;
      let fillers = 0;
      for (const id of ids) {
        if (id < 1 || id > SYNTHETIC_VOCAB.fillers) continue;
        fillers++;
        inTop += id >= 1 + top * w && id < 1 + (top + 1) * w ? 1 : 0;
      }
      share += inTop / Math.max(1, fillers) / n;
    }
    expect(share).toBeGreaterThan(3 / K);
  });
});
