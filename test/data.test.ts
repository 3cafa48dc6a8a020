// Data sources (src/app/data): the MMSA pickle reader against fixtures written by numpy (test/fixtures/
// make_mmsa_fixture.py), its errors, and synthetic-mosi (shapes, determinism, label balance, planted structure).
// Pure TypeScript: no GPU work.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMmsaFile } from '../src/app/data/node';
import { mmsaDict, ndarray, pickle } from './pickle-writer';
import {
  applyMissing,
  batchIndices,
  DataError,
  lnlnMasks,
  MOSI_DIMS,
  MOSI_SPLIT_SIZES,
  parseMmsaPickle,
  readMmsaPickle,
  SPLITS,
  syntheticMosi,
  syntheticWordValue,
  SYNTHETIC_VOCAB,
  TINY_SPLIT_SIZES,
  type Dataset,
  type MmsaDataset,
  type Split,
} from '../src/app/data/index';

const FIX = path.join(__dirname, 'fixtures');
const file = (name: string) => new Uint8Array(fs.readFileSync(path.join(FIX, name)));
const expected = JSON.parse(fs.readFileSync(path.join(FIX, 'mmsa_tiny_expected.json'), 'utf8'));

async function expectDataError(p: Promise<unknown>, name: string, pattern: RegExp): Promise<DataError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DataError);
  const de = e as DataError;
  expect(de.file).toBe(name);
  expect(de.message.startsWith(`${name}: `)).toBe(true);
  expect(de.message).toMatch(pattern);
  return de;
}

describe('MMSA pickle reader', () => {
  const read = (name: string) => readMmsaPickle(file(name), { name });

  it('reads every array of the protocol-4 fixture exactly as numpy + LNLN preprocessing give it', async () => {
    const ds = await read('mmsa_tiny.pkl');
    const [tt, dt] = expected.dims.text;
    expect(ds.dims).toEqual({
      text: { len: tt, dim: dt },
      audio: { len: expected.dims.audio[0], dim: expected.dims.audio[1] },
      vision: { len: expected.dims.vision[0], dim: expected.dims.vision[1] },
    });
    expect(ds.sizes).toEqual({ train: 4, valid: 2, test: 3 });
    for (const split of SPLITS) {
      const s = ds.split(split);
      const e = expected[split];
      expect(s.n).toBe(e.n);
      // float32 (incl. the float64 → float32 casts, the Fortran-ordered train vision, and -inf → 0)
      expect(Array.from(s.text), `${split} text`).toEqual(e.text);
      expect(Array.from(s.audio), `${split} audio`).toEqual(e.audio);
      expect(Array.from(s.vision), `${split} vision`).toEqual(e.vision);
      expect(Array.from(s.textBert), `${split} text_bert`).toEqual(e.textBert);
      expect(Array.from(s.textMask), `${split} text mask`).toEqual(e.textMask);
      expect(Array.from(s.audioLengths)).toEqual(e.audioLengths);
      expect(Array.from(s.visionLengths)).toEqual(e.visionLengths);
      expect(Array.from(s.labels)).toEqual(e.labels);
      expect(s.ids).toEqual(e.ids);
      expect(s.rawText).toEqual(e.rawText);
    }
  });

  it('replaces -inf audio with 0 and says so', async () => {
    const ds = await read('mmsa_tiny.pkl');
    expect(ds.replaced).toEqual({ audioNegInf: expected.negInf, otherNonFinite: 0 });
    const { len: T, dim: d } = ds.dims.audio;
    const audio = ds.split('train').audio;
    expect(audio[(0 * T + 1) * d + 2]).toBe(0);
    expect(audio[(2 * T + 3) * d + 0]).toBe(0);
    expect(audio.every(Number.isFinite)).toBe(true);
    expect(ds.warnings.some((w) => /replaced 2 -inf audio values with 0/.test(w))).toBe(true);
  });

  it('protocols 2 and 5 give the same arrays as protocol 4', async () => {
    const base = await read('mmsa_tiny.pkl');
    for (const name of ['mmsa_tiny_p2.pkl', 'mmsa_tiny_p5.pkl']) {
      const ds = await read(name);
      for (const split of SPLITS) {
        const a = base.split(split);
        const b = ds.split(split);
        for (const key of [
          'text',
          'audio',
          'vision',
          'textBert',
          'textMask',
          'audioLengths',
          'visionLengths',
          'labels',
        ] as const) {
          expect(Array.from(b[key]), `${name} ${split} ${key}`).toEqual(Array.from(a[key]));
        }
        expect(b.ids).toEqual(a.ids);
        expect(b.rawText).toEqual(a.rawText);
      }
    }
  });

  it('computes SHA-256 and warns that it differs from the known MOSI/MOSEI hash; odd dims are a warning too', async () => {
    const bytes = file('mmsa_tiny.pkl');
    const ds = await readMmsaPickle(bytes, { name: 'mmsa_tiny.pkl' });
    expect(ds.sha256).toBe(crypto.createHash('sha256').update(bytes).digest('hex'));
    expect(ds.knownAs).toBeNull();
    expect(ds.warnings.some((w) => w.includes('differs from the known MOSI/MOSEI hash'))).toBe(true);
    expect(ds.warnings.some((w) => /neither MOSI's nor MOSEI's/.test(w))).toBe(true);
    expect(ds.name).toBe('mmsa');
    const unchecked = await readMmsaPickle(bytes, { name: 'x.pkl', checkHash: false });
    expect(unchecked.sha256).toBeNull();
    expect(unchecked.warnings.some((w) => w.includes('SHA-256'))).toBe(false);
  });

  it('batch() returns (B, T, d) rows, masks from lengths, labels and ids', async () => {
    const ds = await read('mmsa_tiny.pkl');
    const idx = [2, 0, 2];
    const b = ds.batch('train', idx);
    const s = ds.split('train');
    const { text: t, audio: a, vision: v } = ds.dims;
    expect(b.size).toBe(3);
    expect(b.text.length).toBe(3 * t.len * t.dim);
    expect(b.audio.length).toBe(3 * a.len * a.dim);
    expect(b.vision.length).toBe(3 * v.len * v.dim);
    idx.forEach((i, r) => {
      expect(Array.from(b.text.subarray(r * t.len * t.dim, (r + 1) * t.len * t.dim))).toEqual(
        Array.from(s.text.subarray(i * t.len * t.dim, (i + 1) * t.len * t.dim)),
      );
      expect(Array.from(b.vision.subarray(r * v.len * v.dim, (r + 1) * v.len * v.dim))).toEqual(
        Array.from(s.vision.subarray(i * v.len * v.dim, (i + 1) * v.len * v.dim)),
      );
      expect(Array.from(b.audioMask.subarray(r * a.len, (r + 1) * a.len))).toEqual(
        [...Array(a.len)].map((_, j) => (j < s.audioLengths[i] ? 1 : 0)),
      );
      expect(Array.from(b.textMask.subarray(r * t.len, (r + 1) * t.len))).toEqual(
        Array.from(s.textMask.subarray(i * t.len, (i + 1) * t.len)),
      );
      expect(b.labels[r]).toBe(s.labels[i]);
      expect(b.ids[r]).toBe(s.ids[i]);
      expect(Array.from(b.textBert!.subarray(r * 3 * t.len, (r + 1) * 3 * t.len))).toEqual(
        Array.from(s.textBert.subarray(i * 3 * t.len, (i + 1) * 3 * t.len)),
      );
    });
    expect(() => ds.batch('valid', [2])).toThrow(RangeError);
  });

  it('a truncated file is a DataError naming the file, wherever it is cut', async () => {
    const bytes = file('mmsa_tiny.pkl');
    for (const cut of [1, 2, 40, Math.floor(bytes.length / 2), bytes.length - 1]) {
      await expectDataError(
        readMmsaPickle(bytes.slice(0, cut), { name: 'cut.pkl' }),
        'cut.pkl',
        cut <= 1 ? /pickle|protocol|truncated/ : /truncated/,
      );
    }
  });

  it('foreign pickles, non-pickles and wrong shapes are DataErrors that say what is wrong', async () => {
    await expectDataError(read('mmsa_foreign.pkl'), 'mmsa_foreign.pkl', /not an MMSA feature file.*list/);
    await expectDataError(
      read('mmsa_badshape.pkl'),
      'mmsa_badshape.pkl',
      /valid\['audio'\] has shape \(2, 45\), expected 3 dimensions/,
    );
    const text = new TextEncoder().encode('{"train": []}');
    await expectDataError(readMmsaPickle(text, { name: 'a.json' }), 'a.json', /not a Python pickle/);
    await expectDataError(
      readMmsaPickle(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]), { name: 'm.pt' }),
      'm.pt',
      /zip archive/,
    );
    await expectDataError(readMmsaPickle(new Uint8Array(0), { name: 'empty.pkl' }), 'empty.pkl', /empty/);
    // a valid pickle whose bytes were damaged in the middle of an opcode stream
    const bytes = file('mmsa_tiny.pkl');
    const damaged = bytes.slice();
    damaged.fill(0xff, 200, 260);
    const e = await readMmsaPickle(damaged, { name: 'damaged.pkl' }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(DataError);
  });

  it('the synchronous parser works without WebCrypto', () => {
    const ds: MmsaDataset = parseMmsaPickle(file('mmsa_tiny.pkl'), { name: 't.pkl' });
    expect(ds.sha256).toBeNull();
    expect(ds.sizes.test).toBe(3);
  });
});

describe('MMSA pickle reader: crafted files numpy would never write', () => {
  const parse = (bytes: Uint8Array) => () => parseMmsaPickle(bytes, { name: 'crafted.pkl' });
  const dataError = (f: () => unknown, pattern: RegExp) => {
    let err: unknown = null;
    try {
      f();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).file).toBe('crafted.pkl');
    expect((err as DataError).message).toMatch(pattern);
  };

  it('the crafted layout itself reads (so the failures below are the shapes, not the writer)', () => {
    const ds = parseMmsaPickle(pickle(mmsaDict(2)), { name: 'crafted.pkl' });
    expect(ds.dims).toEqual({ text: { len: 3, dim: 4 }, audio: { len: 5, dim: 2 }, vision: { len: 4, dim: 2 } });
    expect(ds.sizes).toEqual({ train: 2, valid: 2, test: 2 });
  });

  it('negative or fractional dims whose product matches the data are DataErrors naming the field', () => {
    // (2, -5, -2) holds 20 values like (2, 5, 2); before, it loaded and failed later with a RangeError.
    const negative = pickle(mmsaDict(2, () => ({ audio: ndarray([2, -5, -2], 20) })));
    dataError(parse(negative), /train\['audio'\] has shape \(2, -5, -2\).*non-negative integers/);
    const fractional = pickle(mmsaDict(2, () => ({ vision: ndarray([2, 0.5, 16], 16) })));
    dataError(parse(fractional), /train\['vision'\] has shape \(2, 0.5, 16\).*non-negative integers/);
    const labels = pickle(mmsaDict(2, (s) => (s === 'valid' ? { regression_labels: ndarray([-1, -2], 2) } : {})));
    dataError(parse(labels), /valid\['regression_labels'\] has shape \(-1, -2\).*non-negative integers/);
  });

  it('a dtype of zero-byte items with a huge shape is refused before allocating for it', () => {
    // '<f0' items take no bytes, so 2^27 of them match an empty buffer; they were read into a 1 GiB array first.
    const labels = pickle(mmsaDict(2, () => ({ regression_labels: ndarray([2 ** 27], 0, 'f') })));
    const before = process.memoryUsage().arrayBuffers;
    dataError(parse(labels), /train\['regression_labels'\].*<f0/);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
  });

  it('a label finite in float64 but beyond float32 is a DataError, not an Infinity label', () => {
    // Found by the fuzz test (WEBGRAD_SEED=617041827, case 5093): 1e300 passed the float64 check, became Infinity.
    const huge = pickle(mmsaDict(2, (s) => (s === 'valid' ? { regression_labels: [0.5, 1e300] } : {})));
    dataError(parse(huge), /valid\['regression_labels'\]\[1\] is 1e\+300.*float32/);
  });

  it("a BUILD whose state sets '__proto__' is a DataError naming the field, not a TypeError", () => {
    // An object (an unknown global) made to look like a dict: its prototype becomes a dict (a Map).
    const fakeDict = {
      call: ['builtins', 'object'] as [string, string],
      args: [],
      state: new Map([['__proto__', new Map()]]),
    };
    const top = mmsaDict(2);
    top.set('train', fakeDict);
    dataError(parse(pickle(top)), /__proto__.*\['train'\]/);
    // A list made to inherit from a dict, where the reader expects the ids.
    const badIds = pickle(
      mmsaDict(2, (s) =>
        s === 'test'
          ? { id: { call: ['builtins', 'list'], args: [], state: new Map([['__proto__', new Map()]]) } }
          : {},
      ),
    );
    dataError(parse(badIds), /__proto__.*\['test'\]\['id'\]/);
  });
});

describe('synthetic-mosi', () => {
  it("has MOSI's shapes and split sizes; tiny and custom sizes keep the shapes", () => {
    const full = syntheticMosi({ seed: 1 });
    expect(full.dims).toEqual(MOSI_DIMS);
    expect(full.sizes).toEqual(MOSI_SPLIT_SIZES);
    expect(full.name).toBe('synthetic-mosi');
    const tiny = syntheticMosi({ seed: 1, size: 'tiny' });
    expect(tiny.sizes).toEqual(TINY_SPLIT_SIZES);
    expect(tiny.dims).toEqual(MOSI_DIMS);
    expect(syntheticMosi({ size: { test: 7 } }).sizes).toEqual({ ...MOSI_SPLIT_SIZES, test: 7 });
    const b = tiny.batch('train', [0, 5, 47]);
    expect(b.text.length).toBe(3 * 50 * 768);
    expect(b.audio.length).toBe(3 * 375 * 5);
    expect(b.vision.length).toBe(3 * 500 * 20);
    expect(() => tiny.batch('train', [48])).toThrow(RangeError);
    expect(() => syntheticMosi({ size: { train: 0 } })).toThrow(RangeError);
  });

  it('is deterministic per (seed, split, index), independent of batch composition, and differs across seeds', () => {
    const a = syntheticMosi({ seed: 42, size: 'tiny' }).batch('valid', [3, 9]);
    const b = syntheticMosi({ seed: 42, size: 'tiny' }).batch('valid', [9, 1, 3]);
    const c = syntheticMosi({ seed: 43, size: 'tiny' }).batch('valid', [3, 9]);
    const bytes = (x: Float32Array, from: number, to: number) =>
      Buffer.from(x.buffer, x.byteOffset + from * 4, (to - from) * 4);
    for (const [mod, T, d] of [
      ['text', 50, 768],
      ['audio', 375, 5],
      ['vision', 500, 20],
    ] as const) {
      const row = T * d;
      expect(bytes(a[mod], 0, row).equals(bytes(b[mod], 2 * row, 3 * row)), `${mod} sample 3`).toBe(true);
      expect(bytes(a[mod], row, 2 * row).equals(bytes(b[mod], 0, row)), `${mod} sample 9`).toBe(true);
      expect(bytes(a[mod], 0, 2 * row).equals(bytes(c[mod], 0, 2 * row)), `${mod} other seed`).toBe(false);
    }
    expect(Array.from(a.labels)).toEqual([b.labels[2], b.labels[0]]);
    // the split-level info agrees with the batches
    const info = syntheticMosi({ seed: 42, size: 'tiny' }).split('valid');
    expect(info.labels[9]).toBe(a.labels[1]);
    expect(info.audioLengths[3]).toBe(a.audioLengths[0]);
  });

  it('pads with zeros after each length, and the masks and lengths agree', () => {
    const ds = syntheticMosi({ seed: 2, size: 'tiny' });
    const idx = [...Array(16).keys()];
    const b = ds.batch('valid', idx);
    const info = ds.split('valid');
    for (const [mod, maskKey, T, d] of [
      ['text', 'textMask', 50, 768],
      ['audio', 'audioMask', 375, 5],
      ['vision', 'visionMask', 500, 20],
    ] as const) {
      const x = b[mod];
      const mask = b[maskKey];
      for (let r = 0; r < idx.length; r++) {
        const len = mask.subarray(r * T, (r + 1) * T).reduce((p, q) => p + q, 0);
        expect(Array.from(mask.subarray(r * T, r * T + len)).every((v) => v === 1)).toBe(true); // a prefix
        expect(
          x.subarray((r * T + len) * d, (r + 1) * T * d).every((v) => v === 0),
          `${mod} padding`,
        ).toBe(true);
        expect(
          x.subarray(r * T * d, (r * T + len) * d).every((v) => v !== 0),
          `${mod} frames`,
        ).toBe(true);
        if (mod === 'audio') expect(len).toBe(info.audioLengths[r]);
        if (mod === 'vision') expect(len).toBe(info.visionLengths[r]);
        if (mod === 'text') {
          expect(Array.from(info.textMask.subarray(r * T, (r + 1) * T))).toEqual(
            Array.from(mask.subarray(r * T, (r + 1) * T)),
          );
          expect(len).toBeGreaterThanOrEqual(4);
        }
      }
    }
  });

  it('labels lie in [-3, 3] with MOSI-like balance (docs/models.md §1: 57% / 60% / 45% non-negative), some exactly 0', () => {
    const want: Record<Split, number> = { train: 0.5701, valid: 0.5983, test: 0.4475 };
    for (const seed of [0, 1, 2]) {
      const ds = syntheticMosi({ seed });
      for (const split of SPLITS) {
        const y = ds.split(split).labels;
        expect(y.every((v) => v >= -3 && v <= 3)).toBe(true);
        const pos = y.filter((v) => v >= 0).length / y.length;
        // sampling noise: sd = sqrt(p(1-p)/N) ≈ 0.014 / 0.033 / 0.019; allow ~3 sd
        const tol = { train: 0.045, valid: 0.1, test: 0.06 }[split];
        expect(Math.abs(pos - want[split]), `seed ${seed} ${split}: ${pos.toFixed(3)}`).toBeLessThan(tol);
        const zeros = y.filter((v) => v === 0).length / y.length;
        expect(zeros).toBeGreaterThan(0.01);
        expect(zeros).toBeLessThan(0.12);
      }
    }
  });

  it('plants the structure: time-pooled ridge regression on all three modalities beats every single modality', () => {
    const ds = syntheticMosi({ seed: 1, size: { train: 400, valid: 100, test: 200 } });
    const pooled = Object.fromEntries(SPLITS.map((s) => [s, poolSplit(ds, s)])) as Record<Split, Pooled>;
    const mods = ['text', 'audio', 'vision'] as const;
    const r2: Record<string, number> = {};
    for (const set of [['text'], ['audio'], ['vision'], ['text', 'audio', 'vision']] as (typeof mods)[number][][]) {
      r2[set.join('+')] = heldOutR2(pooled, set);
    }
    const all = r2['text+audio+vision'];
    for (const m of mods) {
      expect(r2[m], `${m} alone is informative (${JSON.stringify(r2)})`).toBeGreaterThan(0.05);
      expect(all - r2[m], `all three beat ${m} alone (${JSON.stringify(r2)})`).toBeGreaterThan(0.08);
    }
  });
});

describe('synthetic-mosi token ids (text_bert)', () => {
  it('the feature fields keep the bytes they had before token ids existed (SHA-256 pinned from that code)', () => {
    const b = syntheticMosi({ seed: 7, size: 'tiny', sharedContent: 0 }).batch('test', [0, 13, 31]);
    const h = crypto.createHash('sha256');
    const fields = ['text', 'textMask', 'audio', 'audioMask', 'audioLengths', 'vision', 'visionMask'] as const;
    for (const k of [...fields, 'visionLengths', 'labels'] as const) {
      h.update(new Uint8Array(b[k].buffer, b[k].byteOffset, b[k].byteLength));
    }
    expect(h.digest('hex')).toBe('a044a7c0a37579daa005734f8116731497e86496397775e37d41617abe9cec55');
  });

  it('(B, 3, T): [CLS] … [SEP] over the vocabulary, mask = the text mask, segments 0; deterministic per sample', () => {
    const ds = syntheticMosi({ seed: 42, size: 'tiny' });
    const a = ds.batch('train', [4, 40, 17]);
    const b = syntheticMosi({ seed: 42, size: 'tiny' }).batch('train', [17, 4]);
    const T = ds.dims.text.len;
    const row = (x: Int32Array, s: number, k: number) => Array.from(x.subarray((s * 3 + k) * T, (s * 3 + k + 1) * T));
    expect(a.textBert!.length).toBe(3 * 3 * T);
    expect(row(a.textBert!, 0, 0)).toEqual(row(b.textBert!, 1, 0));
    expect(row(a.textBert!, 2, 0)).toEqual(row(b.textBert!, 0, 0));
    const other = syntheticMosi({ seed: 43, size: 'tiny' }).batch('train', [4]);
    expect(row(other.textBert!, 0, 0)).not.toEqual(row(a.textBert!, 0, 0));
    for (let s = 0; s < 3; s++) {
      const ids = row(a.textBert!, s, 0);
      const mask = row(a.textBert!, s, 1);
      expect(mask).toEqual(Array.from(a.textMask.subarray(s * T, (s + 1) * T)));
      expect(row(a.textBert!, s, 2).every((v) => v === 0)).toBe(true);
      const L = mask.reduce((x, v) => x + v, 0);
      expect(ids[0]).toBe(SYNTHETIC_VOCAB.cls);
      expect(ids[L - 1]).toBe(SYNTHETIC_VOCAB.sep);
      expect(ids.slice(L).every((v) => v === 0)).toBe(true);
      for (const id of ids.slice(1, L - 1)) {
        expect(id >= 1 && id < SYNTHETIC_VOCAB.size && id !== SYNTHETIC_VOCAB.unk).toBe(true);
        expect(id !== SYNTHETIC_VOCAB.cls && id !== SYNTHETIC_VOCAB.sep).toBe(true);
      }
      expect(ids.slice(1, L - 1).some((id) => syntheticWordValue(id) !== 0)).toBe(true);
    }
  });

  it('sentiment lives in words and their context: reading "not" flips a word, and a bag of words does worse', () => {
    const ds = syntheticMosi({ seed: 1 });
    const n = 600;
    const idx = Array.from({ length: n }, (_, i) => i);
    const b = ds.batch('train', idx);
    const T = ds.dims.text.len;
    const withContext = new Float64Array(n);
    const bagOfWords = new Float64Array(n);
    let negated = 0;
    for (let s = 0; s < n; s++) {
      const ids = b.textBert!.subarray(s * 3 * T, s * 3 * T + T);
      let c = 0;
      let w = 0;
      let k = 0;
      for (let j = 1; j < T; j++) {
        const v = syntheticWordValue(ids[j]);
        if (v === 0) continue;
        const not = ids[j - 1] === SYNTHETIC_VOCAB.not;
        if (not) negated++;
        c += not ? -v : v;
        w += v;
        k++;
      }
      withContext[s] = c / k;
      bagOfWords[s] = w / k;
    }
    const corr = (x: Float64Array, y: Float32Array) => {
      let mx = 0;
      let my = 0;
      for (let i = 0; i < n; i++) {
        mx += x[i] / n;
        my += y[i] / n;
      }
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
    const rc = corr(withContext, b.labels);
    const rb = corr(bagOfWords, b.labels);
    console.log(`synthetic tokens: corr(label, words read in context) ${rc.toFixed(3)}, bag of words ${rb.toFixed(3)}`);
    expect(negated).toBeGreaterThan(n / 2); // negations are common
    expect(rc).toBeGreaterThan(0.7); // the words read in context carry most of the label
    expect(rb).toBeLessThan(rc - 0.15); // ignoring "not" loses much of it
  });
});

describe('the feature path\'s leak (README "Fidelity")', () => {
  it('kept text features still predict the label after corruption (each carries the sentence); kept ids much less', () => {
    // Features: a ridge probe on the mean of the KEPT token vectors (fitted on complete train, λ on valid), R² on the
    // corrupted test split. Ids: the label's R² from the words read in context, [UNK] carrying nothing. Both with
    // LNLN's masks (seed 1111). The share of the complete input's R² that survives a rate is what corruption leaves.
    const ds = syntheticMosi({ seed: 0, size: { train: 600, valid: 200 } });
    const P = { train: poolText(ds, 'train', null), valid: poolText(ds, 'valid', null) };
    const rates = [0, 0.5, 0.9];
    const feat = rates.map((r) =>
      heldOutR2({ ...P, test: poolText(ds, 'test', r) } as Record<Split, Pooled>, ['text']),
    );
    const ids = rates.map((r) => idsR2(ds, r));
    const kept = (x: number[]) => x.map((v) => v / x[0]);
    console.log(
      `text R² at rates ${rates.join(' / ')}: features ${feat.map((v) => v.toFixed(3)).join(' / ')} ` +
        `(kept ${kept(feat)
          .map((v) => v.toFixed(2))
          .join(' / ')}); ids ${ids.map((v) => v.toFixed(3)).join(' / ')} ` +
        `(kept ${kept(ids)
          .map((v) => v.toFixed(2))
          .join(' / ')})`,
    );
    expect(feat[0]).toBeGreaterThan(0.3);
    expect(ids[0]).toBeGreaterThan(0.3);
    // The leak: half the tokens dropped, the kept vectors still hold most of what the whole sentence said; the ids
    // keep only what the kept words say. At 0.9 little is left either way, the features still ahead.
    expect(kept(feat)[1]).toBeGreaterThan(kept(ids)[1] + 0.2);
    expect(kept(feat)[2]).toBeGreaterThan(kept(ids)[2]);
  });
});

describe('batchIndices and readMmsaFile', () => {
  it('covers every index once; shuffles deterministically by seed; dropLast', () => {
    const plain = batchIndices(10, 4);
    expect(plain.map((b) => Array.from(b))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    const a = batchIndices(1284, 32, { shuffleSeed: 1111 });
    const b = batchIndices(1284, 32, { shuffleSeed: 1111 });
    const c = batchIndices(1284, 32, { shuffleSeed: 1112 });
    const flat = (x: Int32Array[]) => x.flatMap((y) => Array.from(y));
    expect(flat(a)).toEqual(flat(b));
    expect(flat(a)).not.toEqual(flat(c));
    expect([...flat(a)].sort((p, q) => p - q)).toEqual([...Array(1284).keys()]);
    expect(a.length).toBe(41);
    expect(batchIndices(1284, 32, { dropLast: true }).length).toBe(40);
    expect(() => batchIndices(5, 0)).toThrow(RangeError);
  });

  it('readMmsaFile reads from disk and names a missing file in a DataError', async () => {
    const ds = await readMmsaFile(path.join(FIX, 'mmsa_tiny.pkl'));
    expect(ds.file).toBe(path.join(FIX, 'mmsa_tiny.pkl'));
    expect(ds.sizes.train).toBe(4);
    await expectDataError(
      readMmsaFile('/nonexistent/unaligned_50.pkl'),
      '/nonexistent/unaligned_50.pkl',
      /no such file/,
    );
  });
});

// ---- a small ridge regression on time-averaged features (test-only helper) ----

interface Pooled {
  n: number;
  y: Float64Array;
  feats: Record<'text' | 'audio' | 'vision', Float64Array>;
}

function poolSplit(ds: Dataset, split: Split): Pooled {
  const n = ds.sizes[split];
  const dims = ds.dims;
  const feats = {
    text: new Float64Array(n * dims.text.dim),
    audio: new Float64Array(n * dims.audio.dim),
    vision: new Float64Array(n * dims.vision.dim),
  };
  const y = new Float64Array(n);
  for (let k = 0; k < n; k += 50) {
    const idx = [...Array(Math.min(50, n - k)).keys()].map((i) => k + i);
    const b = ds.batch(split, idx);
    idx.forEach((i, r) => {
      y[i] = b.labels[r];
      for (const [mod, mask] of [
        ['text', b.textMask],
        ['audio', b.audioMask],
        ['vision', b.visionMask],
      ] as const) {
        const { len: T, dim: d } = dims[mod];
        let cnt = 0;
        for (let j = 0; j < T; j++) {
          if (!mask[r * T + j]) continue;
          cnt++;
          for (let q = 0; q < d; q++) feats[mod][i * d + q] += b[mod][(r * T + j) * d + q];
        }
        for (let q = 0; q < d; q++) feats[mod][i * d + q] /= cnt;
      }
    });
  }
  return { n, y, feats };
}

/** Text only: the mean of each sample's kept token vectors (all real tokens when `rate` is null; LNLN masks, 1111). */
function poolText(ds: Dataset, split: Split, rate: number | null): Pooled {
  const n = ds.sizes[split];
  const { len: T, dim: d } = ds.dims.text;
  const masks = rate === null ? null : lnlnMasks(ds.split(split), ds.dims, rate, 1111);
  const text = new Float64Array(n * d);
  const y = new Float64Array(n);
  for (let k = 0; k < n; k += 50) {
    const idx = [...Array(Math.min(50, n - k)).keys()].map((i) => k + i);
    const b0 = ds.batch(split, idx);
    const b = masks ? applyMissing(b0, masks) : { ...b0, textDropped: new Float32Array(idx.length * T) };
    idx.forEach((i, r) => {
      y[i] = b.labels[r];
      let cnt = 0;
      for (let j = 0; j < T; j++) {
        if (!b.textMask[r * T + j] || b.textDropped[r * T + j]) continue;
        cnt++;
        for (let q = 0; q < d; q++) text[i * d + q] += b.text[(r * T + j) * d + q];
      }
      for (let q = 0; q < d; q++) text[i * d + q] /= Math.max(cnt, 1);
    });
  }
  return { n, y, feats: { text, audio: new Float64Array(0), vision: new Float64Array(0) } };
}

/** R² of the label from the test split's words read in context ("not" flips the next word; [UNK] says nothing). */
function idsR2(ds: Dataset, rate: number): number {
  const n = ds.sizes.test;
  const T = ds.dims.text.len;
  const masks = lnlnMasks(ds.split('test'), ds.dims, rate, 1111);
  const b = applyMissing(ds.batch('test', [...Array(n).keys()]), masks);
  const x = Float64Array.from({ length: n }, (_, i) => {
    const ids = b.textBert!.subarray(i * 3 * T, i * 3 * T + T);
    let c = 0;
    for (let j = 1; j < T; j++) c += (ids[j - 1] === SYNTHETIC_VOCAB.not ? -1 : 1) * syntheticWordValue(ids[j]);
    return c;
  });
  const mx = x.reduce((a, v) => a + v, 0) / n;
  const my = b.labels.reduce((a, v) => a + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (b.labels[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (b.labels[i] - my) ** 2;
  }
  return sxx > 0 ? (sxy * sxy) / (sxx * syy) : 0;
}

function design(p: Pooled, mods: readonly ('text' | 'audio' | 'vision')[]): { X: Float64Array; D: number } {
  const dims = mods.map((m) => p.feats[m].length / p.n);
  const D = dims.reduce((a, b) => a + b, 1);
  const X = new Float64Array(p.n * D);
  for (let i = 0; i < p.n; i++) {
    let c = 0;
    mods.forEach((m, k) => {
      for (let q = 0; q < dims[k]; q++) X[i * D + c++] = p.feats[m][i * dims[k] + q];
    });
    X[i * D + c] = 1; // intercept (not penalised)
  }
  return { X, D };
}

/** Ridge fitted on train with λ chosen on valid; R² on test. */
function heldOutR2(P: Record<Split, Pooled>, mods: readonly ('text' | 'audio' | 'vision')[]): number {
  const tr = design(P.train, mods);
  const D = tr.D;
  const G = new Float64Array(D * D);
  const rhs = new Float64Array(D);
  for (let i = 0; i < P.train.n; i++) {
    for (let a = 0; a < D; a++) {
      const xa = tr.X[i * D + a];
      rhs[a] += xa * P.train.y[i];
      for (let b = 0; b <= a; b++) G[a * D + b] += xa * tr.X[i * D + b];
    }
  }
  const r2 = (p: Pooled, w: Float64Array) => {
    const { X } = design(p, mods);
    const mean = p.y.reduce((a, b) => a + b, 0) / p.n;
    let ss = 0;
    let st = 0;
    for (let i = 0; i < p.n; i++) {
      let pred = 0;
      for (let a = 0; a < D; a++) pred += X[i * D + a] * w[a];
      ss += (p.y[i] - pred) ** 2;
      st += (p.y[i] - mean) ** 2;
    }
    return 1 - ss / st;
  };
  let best: { r2: number; w: Float64Array } = { r2: -Infinity, w: new Float64Array(D) };
  for (const lam of [1, 10, 100, 1000]) {
    const w = choleskySolve(G, rhs, D, lam);
    const v = r2(P.valid, w);
    if (v > best.r2) best = { r2: v, w };
  }
  return r2(P.test, best.w);
}

/** Solves (G + λ·I') w = rhs with G's lower triangle given; I' skips the last (intercept) coordinate. */
function choleskySolve(G: Float64Array, rhs: Float64Array, D: number, lam: number): Float64Array {
  const L = G.slice();
  for (let a = 0; a < D; a++) L[a * D + a] += a < D - 1 ? lam : 1e-9;
  for (let j = 0; j < D; j++) {
    let s = L[j * D + j];
    for (let k = 0; k < j; k++) s -= L[j * D + k] ** 2;
    const l = Math.sqrt(s);
    L[j * D + j] = l;
    for (let i = j + 1; i < D; i++) {
      let t = L[i * D + j];
      for (let k = 0; k < j; k++) t -= L[i * D + k] * L[j * D + k];
      L[i * D + j] = t / l;
    }
  }
  const z = new Float64Array(D);
  for (let i = 0; i < D; i++) {
    let s = rhs[i];
    for (let k = 0; k < i; k++) s -= L[i * D + k] * z[k];
    z[i] = s / L[i * D + i];
  }
  const w = new Float64Array(D);
  for (let i = D - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < D; k++) s -= L[k * D + i] * w[k];
    w[i] = s / L[i * D + i];
  }
  return w;
}
