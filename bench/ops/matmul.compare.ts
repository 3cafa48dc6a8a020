// Side-by-side rows for matmul: webgrad, tfjs, onnxruntime-web and jax-js on the same inputs, checked against the
// float64 reference (the shared helpers and the peers' rules are in bench/compare.ts).

import { matmulRef } from '../../src/engine/ops/matmul.reference';
import { node } from '../peers/onnx-graph';
import { jaxInstance } from '../peers/jax';
import { ortInstance } from '../peers/ort';
import { tfInstance } from '../peers/tfjs';
import type { CompareRow } from '../peers/types';
import { randomData } from '../random-data';
import { wgInstance, lazy, NO_ORT_BACKWARD } from '../compare';

interface MatmulCase {
  name: string;
  M: number;
  K: number;
  N: number;
  transA?: boolean;
  transB?: boolean;
}

const MATMUL_CASES: MatmulCase[] = [
  { name: '512×512 · 512×512', M: 512, K: 512, N: 512 },
  { name: 'Linear 128→512 Y=X·W', M: 512, K: 128, N: 512 },
  { name: 'Linear 128→512 dX=dY·Wᵀ', M: 512, K: 512, N: 128, transB: true },
  { name: 'Linear 128→512 dW=Xᵀ·dY', M: 128, K: 512, N: 512, transA: true },
  { name: 'Linear 512→128 Y=X·W', M: 512, K: 512, N: 128 },
  { name: 'Linear 512→128 dX=dY·Wᵀ', M: 512, K: 128, N: 512, transB: true },
  { name: 'Linear 512→128 dW=Xᵀ·dY', M: 512, K: 512, N: 128, transA: true },
];

function matmulRow(c: MatmulCase): CompareRow {
  const aShape = c.transA ? [c.K, c.M] : [c.M, c.K];
  const bShape = c.transB ? [c.N, c.K] : [c.K, c.N];
  const a = lazy(() => randomData(c.M * c.K, 1));
  const b = lazy(() => randomData(c.K * c.N, 2));
  const want = lazy(() => [matmulRef(a(), aShape, b(), bShape, { transA: c.transA, transB: c.transB }).data]);
  return {
    group: 'matmul',
    label: `${c.name} (${c.M}×${c.K}·${c.K}×${c.N}), fwd`,
    flops: 2 * c.M * c.N * c.K,
    checks: 'output',
    webgrad: (w) =>
      wgInstance(
        w,
        [
          { data: a(), shape: aShape },
          { data: b(), shape: bShape },
        ],
        ([x, y]) => w.matmul(x, y, { transA: c.transA, transB: c.transB }),
        { want },
      ),
    tfjs: (tf) =>
      tfInstance(
        tf,
        [
          { data: a(), shape: aShape },
          { data: b(), shape: bShape },
        ],
        ([x, y]) => tf.matMul(x, y, c.transA, c.transB),
        { want },
      ),
    jax: (jx) =>
      jaxInstance(
        jx,
        [
          { data: a(), shape: aShape },
          { data: b(), shape: bShape },
        ],
        ([x, y]) => jx.numpy.matmul(c.transA ? x.transpose() : x, c.transB ? y.transpose() : y),
        { want },
      ),
    ort: (ctx) =>
      ortInstance(
        ctx,
        {
          inputs: [
            ['A', aShape],
            ['B', bShape],
          ],
          outputs: [['Y', [c.M, c.N]]],
          nodes: [node('Gemm', ['A', 'B'], ['Y'], { transA: c.transA ? 1 : 0, transB: c.transB ? 1 : 0 })],
        },
        [
          ['A', a(), aShape],
          ['B', b(), bShape],
        ],
        { want },
      ),
  };
}

/** Y = X·W (M×K · K×N) forward + backward: dX = dY·Wᵀ and dW = Xᵀ·dY. */
function linearBackwardRow(name: string, M: number, K: number, N: number): CompareRow {
  const x = lazy(() => randomData(M * K, 1));
  const wt = lazy(() => randomData(K * N, 2));
  const gy = lazy(() => randomData(M * N, 3));
  const want = lazy(() => [
    matmulRef(gy(), [M, N], wt(), [K, N], { transB: true }).data,
    matmulRef(x(), [M, K], gy(), [M, N], { transA: true }).data,
  ]);
  const inputs = () => [
    { data: x(), shape: [M, K], grad: true },
    { data: wt(), shape: [K, N], grad: true },
  ];
  return {
    group: 'matmul',
    label: `${name} (${M}×${K}·${K}×${N}), fwd+bwd`,
    flops: 3 * 2 * M * N * K,
    checks: 'dX, dW',
    webgrad: (w) => wgInstance(w, inputs(), ([a, b]) => w.matmul(a, b), { gy: { data: gy(), shape: [M, N] }, want }),
    tfjs: (tf) => tfInstance(tf, inputs(), ([a, b]) => tf.matMul(a, b), { gy: { data: gy(), shape: [M, N] }, want }),
    jax: (jx) =>
      jaxInstance(jx, inputs(), ([a, b]) => jx.numpy.matmul(a, b), { gy: { data: gy(), shape: [M, N] }, want }),
    missing: { ort: NO_ORT_BACKWARD },
  };
}

export const COMPARE: CompareRow[] = [
  ...MATMUL_CASES.map(matmulRow),
  linearBackwardRow('512×512 · 512×512', 512, 512, 512),
  linearBackwardRow('Linear 128→512', 512, 128, 512),
  linearBackwardRow('Linear 512→128', 512, 512, 128),
];
