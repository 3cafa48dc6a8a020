// Parity with PyTorch: every op that PyTorch also has, fed the inputs and output weights of fixtures that torch
// computed in float64 (test/fixtures/torch/*.json; regenerate with /usr/bin/python3 test/fixtures/make_torch_fixtures.py).
// The page's gradcase runs the op forward and backward on the GPU (no finite differences here: the other tests do
// those), and each tensor must match torch's to a relative error — max |got − want| / max(max |want|, 1e-6), per
// tensor (test/torch.ts relErr) — of at most 1e-4 for the forward output and 1e-3 for every input gradient.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from './page';
import { gradcase, untyped } from './gradcheck';
import type { OpName } from './ops/pages';
import { loadTorchFixtures, relErr, variants, type TorchCase } from './torch';

const FWD_TOL = 1e-4;
const GRAD_TOL = 1e-3;

const families = loadTorchFixtures();

/** Worst relative errors seen per family (forward, gradient), printed at the end as a record of the margins. */
const worst = new Map<string, { fwd: number; grad: number }>();

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(async () => {
  await page?.close();
  const lines = [...worst].map(
    ([f, w]) => `  ${f.padEnd(10)} forward ${w.fwd.toExponential(1)}  gradient ${w.grad.toExponential(1)}`,
  );
  if (lines.length) console.log(`worst relative error vs torch (limits ${FWD_TOL}, ${GRAD_TOL}):\n${lines.join('\n')}`);
});

async function runCase(family: string, c: TorchCase, attrs: Record<string, unknown> | undefined) {
  const w = worst.get(family) ?? { fwd: 0, grad: 0 };
  worst.set(family, w);
  const r = await gradcase(page, {
    op: c.op,
    ...(attrs ? { attrs: untyped(attrs) } : {}), // a fixture's, read from JSON
    inputs: c.inputs.map((x) => ({ shape: x.shape, data: x.data, grad: x.grad })),
    weights: c.weights,
    fdIndices: [],
    fdEps: 0,
  });
  expect(r.outShape, 'output shape').toEqual(c.out.shape);
  const fwd = relErr(r.out, c.out.data);
  w.fwd = Math.max(w.fwd, fwd.err);
  expect(
    fwd.err,
    `forward: relative error ${fwd.err.toExponential(2)} (worst at flat index ${fwd.at}: got ${r.out[fwd.at]}, torch ${c.out.data[fwd.at]})`,
  ).toBeLessThanOrEqual(FWD_TOL);
  c.grads.forEach((want, i) => {
    const got = r.grads[i];
    if (want === null) {
      expect(got, `input ${i} takes no gradient`).toBeNull();
      return;
    }
    expect(got, `input ${i} gradient`).not.toBeNull();
    const e = relErr(got!, want);
    w.grad = Math.max(w.grad, e.err);
    expect(
      e.err,
      `gradient of input ${i} ${JSON.stringify(c.inputs[i].shape)}: relative error ${e.err.toExponential(2)} (worst at flat index ${e.at}: got ${got![e.at]}, torch ${want[e.at]})`,
    ).toBeLessThanOrEqual(GRAD_TOL);
  });
}

describe('torch fixtures', () => {
  it('cover the ops the engine shares with PyTorch', () => {
    const ops = new Set(families.flatMap((f) => f.cases.map((c) => c.op)));
    const wanted: OpName[] = [
      'neg',
      'abs',
      'exp',
      'log',
      'sqrt',
      'rsqrt',
      'tanh',
      'sigmoid',
      'relu',
      'leakyRelu',
      'gelu',
      'pow',
      'addScalar',
      'mulScalar',
      'add',
      'sub',
      'mul',
      'div',
      'maximum',
      'expand',
      'sumToShape',
      'sum',
      'mean',
      'max',
      'variance',
      'softmax',
      'logSoftmax',
      'logsumexp',
      'layerNorm',
      'matmul',
      'reshape',
      'flatten',
      'transpose',
      'permute',
      'slice',
      'concat',
      'stack',
      'gatherRows',
      'mseLoss',
      'l1Loss',
      'linear',
      'lstm',
      'infoNCE',
      'clubLogLikelihood',
      'clubUpperBound',
      'conv1d',
      'attention',
      'multiheadAttention',
      'erf',
      'reciprocal',
      'sin',
      'cos',
      'softplus',
      'elu',
      'clip',
      'minimum',
      'powTensor',
      'where',
      'min',
      'prod',
      'argmax',
      'argmin',
      'cumsum',
      'crossEntropy',
      'nllLoss',
      'bceWithLogits',
      'split',
      'tile',
      'pad',
    ];
    expect(wanted.filter((op) => !ops.has(op))).toEqual([]);
    for (const f of families) {
      for (const c of f.cases) {
        expect(c.grads.length, c.name).toBe(c.inputs.length);
        expect(c.weights.length, c.name).toBe(c.out.data.length);
      }
    }
  });
});

for (const fam of families) {
  describe(`torch parity: ${fam.family}`, () => {
    for (const c of fam.cases) {
      for (const v of variants(c)) {
        it(`${c.name}${v.label}`, () => runCase(fam.family, c, v.attrs));
      }
    }
  });
}

// The fixtures record attention masks as keep masks (1 = attend); PyTorch's key_padding_mask is their negation. Sent
// as torch passes it, under keyPaddingMask, every masked case must give torch's numbers: read as a keep mask (the old
// `mask` option's meaning), the same data attends to exactly the keys torch ignores.
describe('torch parity: key_padding_mask passed as PyTorch passes it (true = ignore)', () => {
  const masked = families
    .flatMap((f) => f.cases.map((c) => ({ family: f.family, c })))
    .filter(({ c }) => (c.attrs as { masked?: boolean } | undefined)?.masked === true);
  it('covers the masked attention and module cases', () => {
    expect(masked.map(({ c }) => c.op)).toEqual(expect.arrayContaining(['attention', 'multiheadAttention']));
  });
  for (const { family, c } of masked) {
    it(c.name, () => {
      const last = c.inputs.length - 1;
      const torchMask = c.inputs[last].data.map((m) => 1 - m);
      const inputs = c.inputs.map((x, i) => (i === last ? { ...x, data: torchMask } : x));
      return runCase(family, { ...c, inputs }, { ...(c.attrs as object), maskAs: 'keyPadding' });
    });
  }
});
