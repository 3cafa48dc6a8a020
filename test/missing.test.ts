// LNLN missing-data protocol (src/app/data/missing.ts) and the generators behind it (src/app/data/mt19937.ts), checked against
// numpy / CPython reference values written by test/fixtures/make_mmsa_fixture.py, plus the protocol's invariants.
// Pure TypeScript: no GPU work.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  applyMissing,
  corruptTextBert,
  epochMissingSeed,
  EVAL_RATES,
  expandRate,
  HalfCompleteRates,
  keepTextSpecial,
  lnlnKeepMask,
  lnlnMasks,
  lnlnTextIds,
  MissingField,
  MT19937,
  parseMmsaPickle,
  PythonRandom,
  syntheticMosi,
  UNK_TOKEN_ID,
  uniformField,
  validFromLengths,
  type KeepMasks,
} from '../src/app/data/index';

const FIX = path.join(__dirname, 'fixtures');
const ref = JSON.parse(fs.readFileSync(path.join(FIX, 'mmsa_missing_expected.json'), 'utf8'));

describe('MT19937 (numpy legacy RandomState)', () => {
  // numpy's own values for these seeds (docs/models.md §2.2), exact equality
  const SPEC: Record<number, number[]> = {
    1111: [
      0.095549199208762037, 0.92500370186163272, 0.34357342320721895, 0.31047694186984409, 0.002009839949097536,
      0.23559472439157547, 0.23779172015837957, 0.73591587324070928,
    ],
    1112: [0.079140426488631621, 0.2175226924677246, 0.35855647307607297, 0.87967963603765109],
    1113: [0.98103566258465724, 0.82124784958249541, 0.6458936137686927, 0.42368801363797037],
  };
  for (const [seed, want] of Object.entries(SPEC)) {
    it(`np.random.seed(${seed}); uniform() matches numpy's values bit for bit`, () => {
      const rng = new MT19937(Number(seed));
      expect(want.map(() => rng.uniform())).toEqual(want);
    });
  }

  it('matches numpy for seeds 0, 1111 and 2^32-1 (10 values each, from the fixture script)', () => {
    for (const [seed, want] of Object.entries(ref.numpyUniform as Record<string, number[]>)) {
      expect(Array.from(uniformField(Number(seed), 2, 5)), `seed ${seed}`).toEqual(want);
    }
  });

  it('re-seeding restarts the stream; crossing the 624-word block boundary stays consistent', () => {
    const a = new MT19937(7).uniformArray(700);
    const rng = new MT19937(1);
    rng.uniformArray(5);
    expect(Array.from(rng.seed(7).uniformArray(700))).toEqual(Array.from(a));
    expect(new Set(a).size).toBe(700);
  });

  it('rejects seeds numpy rejects', () => {
    expect(() => new MT19937(-1)).toThrow(RangeError);
    expect(() => new MT19937(2 ** 32)).toThrow(RangeError);
    expect(() => new MT19937(1.5)).toThrow(RangeError);
  });
});

describe('PythonRandom (CPython random)', () => {
  for (const [seed, want] of Object.entries(
    ref.pythonRandom as Record<string, { getrandbits: number[]; random: number[]; sample: Record<string, number[]> }>,
  )) {
    it(`random.seed(${seed}): getrandbits, random() and sample() match CPython`, () => {
      const py = new PythonRandom(BigInt(seed));
      const bits = [...Array(5)].map(() => py.getrandbits(32)).concat([...Array(5)].map(() => py.getrandbits(7)));
      expect(bits).toEqual(want.getrandbits);
      expect([0, 1, 2].map(() => py.random())).toEqual(want.random);
      for (const [key, sample] of Object.entries(want.sample)) {
        const [n, k] = key.split('_').map(Number);
        expect(py.sample(n, k), `sample(range(${n}), ${k})`).toEqual(sample);
      }
    });
  }
  it('rejects bad arguments', () => {
    const py = new PythonRandom(1);
    expect(() => py.sample(3, 4)).toThrow(RangeError);
    expect(() => py.getrandbits(33)).toThrow(RangeError);
  });
});

describe('LNLN generate_m', () => {
  it('per-sample rates on edge-case masks match LNLN (text keep + [UNK] ids, audio keep)', () => {
    const c = ref.perSample;
    const n = c.rates.length;
    const rates = Float64Array.from(c.rates as number[]);
    const tmask = Uint8Array.from(c.textMask as number[]);
    const textKeep = lnlnKeepMask(uniformField(c.seed, n, c.T_text), tmask, n, c.T_text, rates);
    keepTextSpecial(textKeep, tmask, n, c.T_text);
    expect(Array.from(textKeep)).toEqual(c.textKeep);
    expect(Array.from(lnlnTextIds(c.textIds, tmask, textKeep))).toEqual(c.textIdsM);
    const audioKeep = lnlnKeepMask(
      uniformField(c.seed, n, c.T_audio),
      validFromLengths(c.audioLengths, c.T_audio),
      n,
      c.T_audio,
      rates,
    );
    expect(Array.from(audioKeep)).toEqual(c.audioKeep);
  });

  it('MissingField on the MMSA fixture test split matches LNLN at constant rates and two seeds, all modalities', () => {
    const ds = parseMmsaPickle(fs.readFileSync(path.join(FIX, 'mmsa_tiny.pkl')), { name: 'mmsa_tiny.pkl' });
    const info = ds.split('test');
    for (const c of ref.constant as {
      rate: number;
      seed: number;
      text: number[];
      audio: number[];
      vision: number[];
    }[]) {
      const m = lnlnMasks(info, ds.dims, c.rate, c.seed);
      expect(Array.from(m.text), `text r=${c.rate} seed=${c.seed}`).toEqual(c.text);
      expect(Array.from(m.audio), `audio r=${c.rate} seed=${c.seed}`).toEqual(c.audio);
      expect(Array.from(m.vision), `vision r=${c.rate} seed=${c.seed}`).toEqual(c.vision);
    }
  });

  it('each modality restarts the same stream (re-seeded before every modality)', () => {
    const ds = syntheticMosi({ size: 'tiny' });
    const info = ds.split('test');
    const m = lnlnMasks(info, ds.dims, 0.5, 1111);
    const u = uniformField(1111, 1, 50);
    // sample 0: text positions 1..len-2 and audio/vision frames < length follow u[0, j] > 0.5 alike
    const lt = info.textMask.subarray(0, 50).reduce((a, b) => a + b, 0);
    let checked = 0;
    for (let j = 1; j < lt - 1; j++) {
      expect(m.text[j]).toBe(u[j] > 0.5 ? 1 : 0);
      if (j < info.audioLengths[0]) expect(m.audio[j]).toBe(u[j] > 0.5 ? 1 : 0);
      if (j < info.visionLengths[0]) expect(m.vision[j]).toBe(u[j] > 0.5 ? 1 : 0);
      checked++;
    }
    expect(checked).toBeGreaterThan(1);
  });

  it('masks are nested across the evaluation rates and drop about r of the valid positions', () => {
    const ds = syntheticMosi({ seed: 3 }); // full MOSI test split: 686 samples (only lengths are generated)
    const field = new MissingField(ds.split('test'), ds.dims, 1111);
    let prev: KeepMasks | null = null;
    for (const r of EVAL_RATES) {
      const m = field.masks(r);
      for (const mod of ['audio', 'vision'] as const) {
        const valid = mod === 'audio' ? ds.split('test').audioLengths : ds.split('test').visionLengths;
        const total = valid.reduce((a, b) => a + b, 0);
        const kept = m[mod].reduce((a, b) => a + b, 0);
        expect(Math.abs(1 - kept / total - r), `${mod} r=${r}`).toBeLessThan(0.01);
      }
      if (prev) {
        for (const mod of ['text', 'audio', 'vision'] as const) {
          let violations = 0;
          for (let k = 0; k < m[mod].length; k++) if (m[mod][k] > prev[mod][k]) violations++;
          expect(violations, `${mod}: kept at r=${r} but dropped at a lower rate`).toBe(0);
        }
      }
      prev = m;
    }
  });

  it('[CLS]/[SEP] are always kept unless keepSpecialTokens is false; rate 0 keeps everything valid', () => {
    const ds = syntheticMosi({ size: 'tiny' });
    const info = ds.split('train');
    const all = lnlnMasks(info, ds.dims, 1, 1111);
    const none = lnlnMasks(info, ds.dims, 1, 1111, { keepSpecialTokens: false });
    const zero = lnlnMasks(info, ds.dims, 0, 1111);
    expect(Array.from(zero.text)).toEqual(Array.from(info.textMask));
    expect(Array.from(zero.audio)).toEqual(Array.from(validFromLengths(info.audioLengths, 375)));
    expect(none.text.every((v) => v === 0)).toBe(true);
    expect(all.audio.every((v) => v === 0) && all.vision.every((v) => v === 0)).toBe(true);
    for (let i = 0; i < info.n; i++) {
      const row = all.text.subarray(i * 50, (i + 1) * 50);
      const len = info.textMask.subarray(i * 50, (i + 1) * 50).reduce((a, b) => a + b, 0);
      const kept = [...row.keys()].filter((j) => row[j]);
      expect(kept).toEqual(len === 1 ? [0] : [0, len - 1]);
    }
  });

  it('rejects bad rates', () => {
    expect(() => expandRate(Number.NaN, 3)).toThrow(RangeError);
    expect(() => expandRate(1.5, 3)).toThrow(RangeError);
    expect(() => expandRate([0.1, 0.2], 3)).toThrow(RangeError);
    expect(Array.from(expandRate([0, 0.5, 1], 3))).toEqual([0, 0.5, 1]);
  });
});

describe('applyMissing', () => {
  it('zeroes exactly the dropped frames and tokens, leaves the rest and the input batch unchanged', () => {
    const ds = syntheticMosi({ seed: 5, size: 'tiny' });
    const info = ds.split('valid');
    const rates = { text: 0.4, audio: Float64Array.from({ length: info.n }, (_, i) => (i % 4) / 4), vision: 0.8 };
    const masks = lnlnMasks(info, ds.dims, rates, 1112);
    const idx = [3, 0, 11];
    const batch = ds.batch('valid', idx);
    const before = batch.text.slice();
    const mb = applyMissing(batch, masks);
    expect(Array.from(batch.text)).toEqual(Array.from(before));
    expect(Array.from(mb.rates.audio)).toEqual(idx.map((i) => (i % 4) / 4));
    expect(Array.from(mb.rates.text)).toEqual([0.4, 0.4, 0.4]);
    const check = (
      mod: 'text' | 'audio' | 'vision',
      x: Float32Array,
      orig: Float32Array,
      valid: Float32Array,
      dropped: Float32Array,
    ) => {
      const { len: T, dim: d } = ds.dims[mod];
      let nDropped = 0;
      for (let b = 0; b < idx.length; b++) {
        for (let j = 0; j < T; j++) {
          const keep = masks[mod][idx[b] * T + j] === 1;
          const isValid = valid[b * T + j] === 1;
          expect(dropped[b * T + j]).toBe(isValid && !keep ? 1 : 0);
          if (isValid && !keep) nDropped++;
          const row = x.subarray((b * T + j) * d, (b * T + j + 1) * d);
          const o = orig.subarray((b * T + j) * d, (b * T + j + 1) * d);
          if (isValid && !keep) expect(row.every((v) => v === 0)).toBe(true);
          else if (isValid) expect(Array.from(row)).toEqual(Array.from(o));
          else expect(row.every((v) => v === 0)).toBe(true); // synthetic padding is zero
        }
      }
      expect(nDropped, mod).toBeGreaterThan(0);
    };
    check('text', mb.text, batch.text, batch.textMask, mb.textDropped);
    check('audio', mb.audio, batch.audio, batch.audioMask, mb.audioDropped);
    check('vision', mb.vision, batch.vision, batch.visionMask, mb.visionDropped);
  });

  it('feature path: padding rows stay as stored while a token is kept, and are zeroed when the text is absent', () => {
    // MMSA's padding rows are BERT outputs of the complete sentence (the fixture's are non-zero): text absent must not
    // leave them for the model to read.
    const ds = parseMmsaPickle(fs.readFileSync(path.join(FIX, 'mmsa_tiny.pkl')), { name: 'mmsa_tiny.pkl' });
    const info = ds.split('test');
    const { len: T, dim: d } = ds.dims.text;
    const idx = [0, 1, 2];
    const batch = ds.batch('test', idx);
    const padRows = (x: Float32Array) =>
      idx.flatMap((_, b) =>
        Array.from({ length: T }, (_, j) => j)
          .filter((j) => batch.textMask[b * T + j] === 0)
          .flatMap((j) => Array.from(x.subarray((b * T + j) * d, (b * T + j + 1) * d))),
      );
    expect(padRows(batch.text).some((v) => v !== 0)).toBe(true);
    const partial = applyMissing(batch, lnlnMasks(info, ds.dims, 0.9, 1111));
    expect(padRows(partial.text)).toEqual(padRows(batch.text));
    const absent = lnlnMasks(info, ds.dims, { text: 1, audio: 0, vision: 0 }, 1111, { keepSpecialTokens: false });
    expect(applyMissing(batch, absent).text.every((v) => v === 0)).toBe(true);
  });

  it('refuses masks from a smaller split', () => {
    const ds = syntheticMosi({ size: 'tiny' });
    const masks = lnlnMasks(ds.split('valid'), ds.dims, 0.3, 1);
    expect(() => applyMissing(ds.batch('train', [20]), masks)).toThrow(RangeError);
  });
});

describe('token-level protocol on text_bert (LNLN: dropped ids → [UNK], mask and segments unchanged)', () => {
  const tbRef = JSON.parse(fs.readFileSync(path.join(FIX, 'mmsa_textbert_expected.json'), 'utf8')) as {
    split: 'train' | 'test';
    rate: number;
    seed: number;
    textBert: number[];
  }[];

  it("applyMissing's text_bert equals LNLN's text_m (numpy, make_textbert_fixture.py) for every rate and seed", () => {
    const ds = parseMmsaPickle(fs.readFileSync(path.join(FIX, 'mmsa_tiny.pkl')), { name: 'mmsa_tiny.pkl' });
    for (const c of tbRef) {
      const n = ds.sizes[c.split];
      const order = Array.from({ length: n }, (_, i) => n - 1 - i); // reversed: rows follow the batch's indices
      const mb = applyMissing(ds.batch(c.split, order), lnlnMasks(ds.split(c.split), ds.dims, c.rate, c.seed));
      const T = ds.dims.text.len;
      const want = order.flatMap((i) => c.textBert.slice(i * 3 * T, (i + 1) * 3 * T));
      expect(Array.from(mb.textBert!), `${c.split} r=${c.rate} seed=${c.seed}`).toEqual(want);
    }
  });

  it('drops exactly the positions the feature-level masks drop, on synthetic-mosi, for several seeds and rates', () => {
    const ds = syntheticMosi({ seed: 3, size: 'tiny' });
    const info = ds.split('test');
    const T = ds.dims.text.len;
    const idx = [7, 0, 31, 12];
    const batch = ds.batch('test', idx);
    for (const seed of [1111, 1112, 99]) {
      for (const rate of [0.1, 0.5, 0.9]) {
        const masks = lnlnMasks(info, ds.dims, rate, seed);
        const mb = applyMissing(batch, masks);
        let unk = 0;
        for (let b = 0; b < idx.length; b++) {
          for (let j = 0; j < T; j++) {
            const id = batch.textBert![b * 3 * T + j];
            const got = mb.textBert![b * 3 * T + j];
            // A real token is [UNK] exactly where its feature vector was zeroed; padding stays 0.
            expect(got, `b=${b} j=${j}`).toBe(mb.textDropped[b * T + j] === 1 ? UNK_TOKEN_ID : id);
            if (mb.textDropped[b * T + j] === 1) unk++;
          }
          const row = (x: Int32Array, k: number) => Array.from(x.subarray((b * 3 + k) * T, (b * 3 + k + 1) * T));
          expect(row(mb.textBert!, 1)).toEqual(row(batch.textBert!, 1)); // attention mask unchanged
          expect(row(mb.textBert!, 2)).toEqual(row(batch.textBert!, 2)); // segment ids unchanged
          const len = info.textMask.subarray(idx[b] * T, (idx[b] + 1) * T).reduce((a, v) => a + v, 0);
          expect(mb.textBert![b * 3 * T]).toBe(101); // [CLS] kept
          expect(mb.textBert![b * 3 * T + len - 1]).toBe(102); // [SEP] kept
        }
        expect(unk, `seed ${seed} rate ${rate}`).toBeGreaterThan(0);
      }
    }
    expect(Array.from(batch.textBert!)).toEqual(Array.from(ds.batch('test', idx).textBert!)); // input unchanged
  });

  it('with whole text absent (rate 1, specials dropped) every real token is [UNK]; corruptTextBert checks sizes', () => {
    const ds = syntheticMosi({ size: 'tiny' });
    const info = ds.split('valid');
    const T = ds.dims.text.len;
    const masks = lnlnMasks(info, ds.dims, { text: 1, audio: 0, vision: 0 }, 1111, { keepSpecialTokens: false });
    const batch = ds.batch('valid', [2, 5]);
    const ids = applyMissing(batch, masks).textBert!;
    for (let b = 0; b < 2; b++) {
      for (let j = 0; j < T; j++) expect(ids[b * 3 * T + j]).toBe(batch.textMask[b * T + j] ? UNK_TOKEN_ID : 0);
    }
    expect(() => corruptTextBert(new Int32Array(5), masks.text, [0], T)).toThrow(RangeError);
  });
});

describe('training rates', () => {
  it("LNLN's half-complete rates at dataset construction match numpy + random bit for bit", () => {
    for (const c of ref.halfComplete as { n: number; seed: number; rates: number[][] }[]) {
      const r = new HalfCompleteRates(c.n, c.seed).next();
      expect(Array.from(r.text)).toEqual(c.rates[0]);
      expect(Array.from(r.audio)).toEqual(c.rates[1]);
      expect(Array.from(r.vision)).toEqual(c.rates[2]);
    }
  });

  it('exactly half the samples (N // 2) are complete in each modality, and later epochs redraw', () => {
    const h = new HalfCompleteRates(229, 1111);
    const first = h.next();
    const second = h.next();
    for (const r of [first, second]) {
      for (const m of [r.text, r.audio, r.vision]) {
        expect(m.filter((v) => v === 0).length).toBe(114);
        expect(m.every((v) => v >= 0 && v < 1)).toBe(true);
      }
    }
    expect(Array.from(second.text)).not.toEqual(Array.from(first.text));
  });

  it('epochMissingSeed: fixed keeps the seed, fresh varies per epoch', () => {
    expect(epochMissingSeed(1111, 7, 'fixed')).toBe(1111);
    const fresh = new Set([0, 1, 2, 3].map((e) => epochMissingSeed(1111, e, 'fresh')));
    expect(fresh.size).toBe(4);
  });
});
