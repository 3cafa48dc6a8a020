// MultiheadAttention, the LNLN pre-norm TransformerEncoderLayer and CrossTransformerLayer, Transformer and
// CrossTransformer: three-tier gradient checks with respect to the inputs AND every parameter (the page entries take the
// parameters as inputs, test/ops/attention.page.ts), against the float64 module references in
// src/engine/ops/attention.reference.ts; parameter names, shapes and initial values; seeding; bad input.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from './page';
import { gradcheck, type InputSpec, type Tolerances } from './gradcheck';
import {
  crossLayerRef,
  crossTransformerParamShapes,
  crossTransformerRef,
  encoderLayerRef,
  layerParamShapes,
  mhaParamShapes,
  mhaRef,
  transformerParamShapes,
  transformerRef,
  type LayerConfig,
  type MhaConfig,
  type Params,
} from '../src/engine/ops/attention.reference';
import { rngFor, type Rng } from './rng';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

/** How to draw a parameter: LayerNorm weights near 1, Linear weights at about PyTorch's init scale (×2), the rest ±1. */
function paramSpec([name, shape]: [string, number[]]): InputSpec {
  // The biases of to_k and norm_k shift all of a query's scores by the same amount, which the softmax ignores: their
  // exact gradient is 0, and the GPU's (float32 rounding, ~1e-7) cannot be judged relative to itself. They still take
  // part in the forward pass; only their gradient is not checked.
  if (/(^|\.)(to_k|norm_k)\.bias$/.test(name)) return { shape, grad: false };
  if (/norm_\w+\.weight$/.test(name)) return { shape, gen: (r: Rng, n: number) => r.uniform(n, 0.5, 1.5) };
  if (/\.weight$/.test(name)) {
    const b = 2 / Math.sqrt(shape[1]);
    return { shape, gen: (r: Rng, n: number) => r.uniform(n, -b, b) };
  }
  return { shape };
}

/** The parameters among the gradcheck inputs xs[from...], keyed by name. */
function paramsOf(names: [string, number[]][], xs: Float64Array[], from: number): Params {
  const p: Params = {};
  names.forEach(([n], i) => (p[n] = xs[from + i]));
  return p;
}

function maskFor(label: string, B: number, Tk: number, allMaskedFirst: boolean): Float64Array {
  const r = rngFor(label);
  const m = new Float64Array(B * Tk);
  for (let b = allMaskedFirst ? 1 : 0; b < B; b++) {
    for (let j = 0; j < Tk; j++) m[b * Tk + j] = r.next() < 0.6 ? 1 : 0;
    m[b * Tk + r.int(Tk)] = 1;
  }
  return m;
}

// LayerNorm over a handful of features is sharply curved where a row's values bunch up: smaller tier-3 steps.
const TOL: Partial<Tolerances> = { fdEps: 1e-3, fdRtol: 3e-2, fdAtol: 3e-3 };
// Two layers deep, float32 finite differences carry more rounding noise (~1e-3 of the gradient's scale at step 1e-3);
// tier 3 here is a coarse end-to-end check, tier 2 (against float64) keeps its default tolerance.
const TOL_STACK: Partial<Tolerances> = { fdEps: 3e-3, fdRtol: 5e-2, fdAtol: 1e-2 };

describe('MultiheadAttention', () => {
  interface Case extends MhaConfig {
    B: number;
    Tq: number;
    Tk: number;
    dim: number;
    /** 1: self-attention forward(x, x, x); 2: forward(xq, xkv, xkv); 3: three separate inputs. */
    inputs: 1 | 2 | 3;
    mask?: 'random' | 'allMaskedFirst';
  }

  function check(c: Case) {
    const names = mhaParamShapes(c.dim, c);
    const xShapes = [
      [c.B, c.Tq, c.dim],
      [c.B, c.Tk, c.dim],
      [c.B, c.Tk, c.dim],
    ].slice(0, c.inputs);
    const mask = c.mask ? maskFor(`mha mask ${JSON.stringify(c)}`, c.B, c.Tk, c.mask === 'allMaskedFirst') : null;
    return gradcheck(page, {
      op: 'multiheadAttention',
      attrs: { ...c, names: names.map(([n]) => n), masked: !!mask },
      inputs: [
        ...xShapes.map((shape) => ({ shape })),
        ...names.map(paramSpec),
        ...(mask ? [{ shape: [c.B, c.Tk], grad: false }] : []),
      ],
      data: mask ? [...xShapes.map(() => undefined), ...names.map(() => undefined), mask] : undefined,
      ref: (xs) => {
        const [xq, xk = xq, xv = xk] = xs.slice(0, c.inputs);
        return mhaRef(xq, xk, xv, c.B, c.Tq, c.Tk, c.dim, paramsOf(names, xs, c.inputs), c, mask);
      },
      tol: TOL,
    });
  }

  it('matches float64 in all three tiers for self- and cross-attention, inputs and every weight', async () => {
    await check({ B: 2, Tq: 3, Tk: 3, dim: 5, heads: 3, dimHead: 4, inputs: 1 });
    await check({ B: 2, Tq: 3, Tk: 5, dim: 5, heads: 1, dimHead: 3, inputs: 2 });
    await check({ B: 1, Tq: 1, Tk: 17, dim: 3, heads: 3, dimHead: 4, inputs: 2 });
    await check({ B: 2, Tq: 17, Tk: 3, dim: 4, heads: 2, dimHead: 3, inputs: 3, qkvBias: true, outBias: false });
  });

  it('applies a key-padding mask, including a batch element with every key masked', async () => {
    await check({ B: 2, Tq: 3, Tk: 5, dim: 5, heads: 3, dimHead: 4, inputs: 2, mask: 'allMaskedFirst' });
    await check({ B: 2, Tq: 3, Tk: 3, dim: 4, heads: 2, dimHead: 3, inputs: 1, mask: 'random', qkvBias: true });
  });
});

describe('TransformerEncoderLayer and CrossTransformerLayer (pre-norm, LNLN)', () => {
  interface Case extends LayerConfig {
    B: number;
    Tq: number;
    /** Source length; absent for the self-attention encoder layer. */
    Tk?: number;
    dim: number;
    mask?: 'random' | 'allMaskedFirst';
  }

  function check(c: Case) {
    const cross = c.Tk !== undefined;
    const Tk = c.Tk ?? c.Tq;
    const names = layerParamShapes(c.dim, c);
    const xShapes = cross
      ? [
          [c.B, c.Tq, c.dim],
          [c.B, Tk, c.dim],
        ]
      : [[c.B, c.Tq, c.dim]];
    const mask = c.mask ? maskFor(`layer mask ${JSON.stringify(c)}`, c.B, Tk, c.mask === 'allMaskedFirst') : null;
    return gradcheck(page, {
      op: cross ? 'crossTransformerLayer' : 'transformerEncoderLayer',
      attrs: { ...c, names: names.map(([n]) => n), masked: !!mask },
      inputs: [
        ...xShapes.map((shape) => ({ shape })),
        ...names.map(paramSpec),
        ...(mask ? [{ shape: [c.B, Tk], grad: false }] : []),
      ],
      data: mask ? [...xShapes.map(() => undefined), ...names.map(() => undefined), mask] : undefined,
      ref: (xs) => {
        const params = paramsOf(names, xs, xShapes.length);
        return cross
          ? crossLayerRef(xs[0], xs[1], c.B, c.Tq, Tk, c.dim, params, c, mask)
          : encoderLayerRef(xs[0], c.B, c.Tq, c.dim, params, c, mask);
      },
      tol: TOL,
    });
  }

  it('encoder layer: matches float64 in all three tiers, input and all 17 parameters', async () => {
    await check({ B: 2, Tq: 3, dim: 6, heads: 2, dimHead: 3, mlpDim: 5 });
    await check({ B: 1, Tq: 17, dim: 4, heads: 3, dimHead: 4, mlpDim: 7, mask: 'random' });
  });

  it('cross layer: matches float64 in all three tiers, target, source and all parameters', async () => {
    await check({ B: 2, Tq: 3, Tk: 5, dim: 6, heads: 2, dimHead: 4, mlpDim: 5 });
    await check({ B: 2, Tq: 1, Tk: 3, dim: 5, heads: 1, dimHead: 3, mlpDim: 3, mask: 'allMaskedFirst' });
  });
});

describe('Transformer and CrossTransformer (LNLN)', () => {
  it('Transformer: tokens, positional embedding and depth 2, with hidden states, in all three tiers', async () => {
    const cfgs = [
      { B: 2, n: 4, numFrames: 5, tokenLen: 2, depth: 2, dim: 4, heads: 2, dimHead: 4, mlpDim: 6 },
      { B: 1, n: 3, numFrames: 3, tokenLen: 0, depth: 1, dim: 5, heads: 1, dimHead: 3, mlpDim: 4 },
      { B: 2, n: 2, numFrames: 3, tokenLen: 1, depth: 2, dim: 3, heads: 2, dimHead: 2, mlpDim: 3, hidden: 1 },
    ];
    for (const c of cfgs) {
      const names = transformerParamShapes(c.dim, c);
      // Layers after the returned hidden state take no part in it (and get no gradient).
      const after = (n: string) =>
        c.hidden !== undefined && n.startsWith('layers.') && Number(n.split('.')[1]) >= c.hidden;
      await gradcheck(page, {
        op: 'transformer',
        attrs: { ...c, names: names.map(([n]) => n) },
        inputs: [
          { shape: [c.B, c.n, c.dim] },
          ...names.map((p) => (after(p[0]) ? { shape: p[1], grad: false } : paramSpec(p))),
        ],
        ref: (xs) => {
          const r = transformerRef(xs[0], c.B, c.n, c.dim, paramsOf(names, xs, 1), c);
          return c.hidden === undefined ? r : { data: r.hidden[c.hidden], shape: r.shape };
        },
        tol: TOL_STACK,
      });
    }
  });

  it('CrossTransformer: shared token, two positional embeddings, cross layers, in all three tiers', async () => {
    const c = {
      B: 2,
      ns: 4,
      nt: 2,
      sourceFrames: 4,
      targetFrames: 3,
      depth: 2,
      dim: 4,
      heads: 2,
      dimHead: 3,
      mlpDim: 5,
    };
    const names = crossTransformerParamShapes(c.dim, c);
    await gradcheck(page, {
      op: 'crossTransformer',
      attrs: { ...c, names: names.map(([n]) => n) },
      inputs: [{ shape: [c.B, c.ns, c.dim] }, { shape: [c.B, c.nt, c.dim] }, ...names.map(paramSpec)],
      ref: (xs) => crossTransformerRef(xs[0], xs[1], c.B, c.ns, c.nt, c.dim, paramsOf(names, xs, 2), c),
      tol: TOL_STACK,
    });
  });
});

/** Evaluates an async function body in the page, with `wg` in scope. */
const inPage = <T>(body: string): Promise<T> =>
  page.page.evaluate(`(async () => { const wg = globalThis.wg; ${body} })()`) as Promise<T>;

describe('parameters', () => {
  it('are named as documented (PyTorch-style paths) with LNLN’s shapes and initial values', async () => {
    const got = await inPage<{ names: [string, number[]][]; stats: Record<string, [number, number, number]> }[]>(`
      const mods = [
        new wg.MultiheadAttention(128, { heads: 8, dimHead: 16, seed: 1 }),
        new wg.TransformerEncoderLayer(128, { heads: 8, dimHead: 64, mlpDim: 128, seed: 2 }),
        new wg.CrossTransformerLayer(128, { heads: 8, dimHead: 16, mlpDim: 96, seed: 3 }),
        new wg.Transformer(50, 128, 2, { tokenLen: 8, heads: 8, dimHead: 64, mlpDim: 128, seed: 4 }),
        new wg.CrossTransformer(8, 8, 128, 2, { heads: 8, dimHead: 64, mlpDim: 128, seed: 5 }),
      ];
      const out = [];
      for (const m of mods) {
        const stats = {};
        for (const [n, p] of m.namedParameters()) {
          const a = await p.toArray();
          let lo = Infinity, hi = -Infinity, ss = 0;
          for (const x of a) { lo = Math.min(lo, x); hi = Math.max(hi, x); ss += x * x; }
          stats[n] = [lo, hi, Math.sqrt(ss / a.length)];
        }
        out.push({ names: m.namedParameters().map(([n, p]) => [n, [...p.shape]]), stats });
        m.dispose();
      }
      return out;
    `);
    const layer = (mlpDim: number, dimHead: number) => ({ heads: 8, dimHead, mlpDim });
    expect(got[0].names).toEqual(mhaParamShapes(128, { heads: 8, dimHead: 16 }));
    expect(got[1].names).toEqual(layerParamShapes(128, layer(128, 64)));
    expect(got[2].names).toEqual(layerParamShapes(128, layer(96, 16)));
    expect(got[3].names).toEqual(
      transformerParamShapes(128, { ...layer(128, 64), numFrames: 50, depth: 2, tokenLen: 8 }),
    );
    expect(got[4].names).toEqual(
      crossTransformerParamShapes(128, { ...layer(128, 64), sourceFrames: 8, targetFrames: 8, depth: 2 }),
    );
    expect(got[1].names.map(([n]) => n)).toContain('attn.to_q.weight');
    expect(got[3].names.map(([n]) => n)).toContain('layers.1.norm_q.weight');
    // LayerNorm ones / zeros, tokens zeros, pos-embeddings N(0, 1), Linear U(±1/√fan_in).
    const s = got[3].stats;
    expect(s['layers.0.norm_q.weight'].slice(0, 2)).toEqual([1, 1]);
    expect(s['layers.1.norm_ff.bias'].slice(0, 2)).toEqual([0, 0]);
    expect(s.extra_token.slice(0, 2)).toEqual([0, 0]);
    expect(s.pos_embedding[2]).toBeGreaterThan(0.95);
    expect(s.pos_embedding[2]).toBeLessThan(1.05);
    const [lo, hi] = s['layers.0.attn.to_out.weight'];
    const bound = 1 / Math.sqrt(8 * 64);
    expect(lo).toBeGreaterThanOrEqual(-bound);
    expect(hi).toBeLessThanOrEqual(bound);
    expect(hi).toBeGreaterThan(0.9 * bound);
    expect(got[4].stats.extra_token.slice(0, 2)).toEqual([0, 0]);
  });

  it('are reproducible from a seed, and differ between seeds and between sibling layers', async () => {
    const sums = await inPage<number[][]>(`
      const sig = async (seed) => {
        const t = new wg.Transformer(8, 16, 2, { heads: 2, dimHead: 8, seed });
        const out = [];
        for (const [, p] of t.namedParameters()) out.push((await p.toArray()).reduce((a, b) => a + b * b, 0));
        t.dispose();
        return out;
      };
      return [await sig(7), await sig(7), await sig(8)];
    `);
    expect(sums[0]).toEqual(sums[1]);
    expect(sums[0]).not.toEqual(sums[2]);
    // layers.0.attn.to_q.weight vs layers.1.attn.to_q.weight (same shapes, different derived seeds)
    const names = transformerParamShapes(16, { heads: 2, dimHead: 8, mlpDim: 16, numFrames: 8, depth: 2 }).map(
      ([n]) => n,
    );
    expect(sums[0][names.indexOf('layers.0.attn.to_q.weight')]).not.toBe(
      sums[0][names.indexOf('layers.1.attn.to_q.weight')],
    );
  });
});

describe('bad input', () => {
  /** Builds `make`, then calls forward on zero tensors of `shapes` (and `mask`); reports the error and GPU work. */
  const forwardError = (make: string, shapes: number[][], mask = 'undefined') =>
    inPage<{ threw: boolean; name?: string; message?: string; dispatches: number }>(`
      const m = ${make};
      const xs = ${JSON.stringify(shapes)}.map((s) => wg.zeros(s));
      const mask = ${mask};
      const rt = wg.runtime();
      await rt.sync();
      const before = rt.stats().dispatches;
      let out;
      try { m.forward(...xs, mask); out = { threw: false }; } catch (e) { out = { threw: true, name: e.name, message: e.message }; }
      out.dispatches = rt.stats().dispatches - before;
      m.dispose();
      for (const x of xs) x.dispose();
      for (const t of mask && mask.dispose ? [mask] : Object.values(mask ?? {})) if (t && t.dispose) t.dispose();
      return out;
    `);

  async function expectError(make: string, shapes: number[][], mentions: string, mask?: string) {
    const r = await forwardError(make, shapes, mask);
    expect(r.threw, `${make} on ${JSON.stringify(shapes)} should throw`).toBe(true);
    expect(r.name, r.message).toBe('WebgradError');
    expect(r.message).toContain(mentions);
    expect(r.dispatches, `GPU work recorded before the error: ${r.message}`).toBe(0);
  }

  it('rejects mismatched shapes and masks before any GPU work', async () => {
    const mha = 'new wg.MultiheadAttention(8, { heads: 2, dimHead: 4 })';
    await expectError(
      mha,
      [
        [2, 3, 8],
        [2, 5, 7],
        [2, 5, 7],
      ],
      'xk must be (B, T, 8)',
    );
    await expectError(
      mha,
      [
        [2, 3, 8],
        [1, 5, 8],
        [1, 5, 8],
      ],
      'batch sizes',
    );
    await expectError(
      mha,
      [
        [2, 3, 8],
        [2, 5, 8],
        [2, 4, 8],
      ],
      'same (B, T)',
    );
    await expectError(
      mha,
      [
        [2, 3, 8],
        [2, 5, 8],
        [2, 5, 8],
      ],
      'keepMask must be (B, Tk) = (2, 5)',
      '{ keepMask: wg.zeros([2, 3]) }',
    );
    await expectError(
      mha,
      [
        [2, 3, 8],
        [2, 5, 8],
        [2, 5, 8],
      ],
      'keyPaddingMask has 3 entries',
      '{ keyPaddingMask: [1, 0, 1] }',
    );
    await expectError(
      mha,
      [
        [3, 8],
        [3, 8],
        [3, 8],
      ],
      'MultiheadAttention',
    );
    // The removed positional mask (1 = keep) and option name `mask` are refused, never read as either convention.
    await expectError(
      mha,
      [
        [2, 3, 8],
        [2, 5, 8],
        [2, 5, 8],
      ],
      'not a bare mask',
      'wg.ones([2, 5])',
    );
    await expectError(
      mha,
      [
        [2, 3, 8],
        [2, 5, 8],
        [2, 5, 8],
      ],
      'not a bare mask',
      '[1, 1, 0, 1, 1, 1, 1, 1, 1, 1]',
    );
    await expectError(
      mha,
      [
        [2, 3, 8],
        [2, 5, 8],
        [2, 5, 8],
      ],
      "option 'mask' was removed",
      '{ mask: [1, 1, 0, 1, 1, 1, 1, 1, 1, 1] }',
    );
    await expectError(
      mha,
      [
        [2, 3, 8],
        [2, 5, 8],
        [2, 5, 8],
      ],
      'not both',
      '{ keepMask: wg.ones([2, 5]), keyPaddingMask: wg.zeros([2, 5]) }',
    );
    const enc = 'new wg.TransformerEncoderLayer(8, { heads: 2, dimHead: 4 })';
    await expectError(enc, [[2, 3, 6]], 'x must be (B, T, 8)');
    await expectError(
      enc,
      [[2, 3, 8]],
      'keyPaddingMask must be (B, Tk) = (2, 3)',
      '{ keyPaddingMask: wg.zeros([2, 4]) }',
    );
    const cross = 'new wg.CrossTransformerLayer(8, { heads: 2, dimHead: 4 })';
    await expectError(
      cross,
      [
        [2, 3, 8],
        [3, 5, 8],
      ],
      'batch sizes',
    );
    await expectError(
      cross,
      [
        [2, 3, 8],
        [2, 5, 4],
      ],
      'source must be',
    );
    await expectError(
      cross,
      [
        [2, 3, 8],
        [2, 5, 8],
      ],
      'keepMask has 6 entries',
      '{ keepMask: [1, 1, 1, 0, 0, 0] }',
    );
    const tr = 'new wg.Transformer(4, 8, 1, { heads: 2, dimHead: 4, tokenLen: 1 })';
    await expectError(tr, [[2, 5, 8]], 'more than numFrames = 4');
    await expectError(tr, [[2, 3, 8]], 'keepMask must be', '{ keepMask: wg.zeros([2, 4]) }');
    const ct = 'new wg.CrossTransformer(4, 3, 8, 1, { heads: 2, dimHead: 4 })';
    await expectError(
      ct,
      [
        [2, 4, 8],
        [1, 3, 8],
      ],
      'batch sizes',
    );
    await expectError(
      ct,
      [
        [2, 4, 8],
        [2, 4, 8],
      ],
      'target frames',
    );
  });

  it('rejects bad constructor arguments', async () => {
    const r = await inPage<string[]>(`
      const msgs = [];
      for (const make of [
        () => new wg.MultiheadAttention(8, { heads: 0 }),
        () => new wg.MultiheadAttention(8.5),
        () => new wg.TransformerEncoderLayer(8, { mlpDim: -1 }),
        () => new wg.Transformer(4, 8, -1),
        () => new wg.Transformer(4, 8, 1, { tokenLen: 1.5 }),
      ]) {
        try { make().dispose(); msgs.push('no error'); } catch (e) { msgs.push(e.name + ': ' + e.message); }
      }
      return msgs;
    `);
    expect(r[0]).toMatch(/^WebgradError: MultiheadAttention: heads/);
    expect(r[1]).toMatch(/^WebgradError: MultiheadAttention: dim/);
    expect(r[2]).toMatch(/^WebgradError: TransformerEncoderLayer: mlpDim/);
    expect(r[3]).toMatch(/^WebgradError: Transformer: depth/);
    expect(r[4]).toMatch(/^WebgradError: Transformer: tokenLen/);
  });
});
