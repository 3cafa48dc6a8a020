// Side-by-side rows for attention: webgrad, tfjs, onnxruntime-web and jax-js on the same inputs, checked against the
// float64 reference (the shared helpers and the peers' rules are in bench/compare.ts).

import { attentionBackwardRef, attentionRef } from '../../src/engine/ops/attention.reference';
import { node } from '../peers/onnx-graph';
import { jaxInstance } from '../peers/jax';
import { ortInstance } from '../peers/ort';
import { tfInstance, type Tf } from '../peers/tfjs';
import type { CompareRow } from '../peers/types';
import { randomData } from '../random-data';
import { wgInstance, lazy, NO_ORT_BACKWARD } from '../compare';

interface AttnCase {
  what: string;
  B: number;
  H: number;
  T: number;
  Dh: number;
}

function attentionRow(s: AttnCase, backward: boolean): CompareRow {
  const shape = [s.B, s.H, s.T, s.Dh];
  const n = s.B * s.H * s.T * s.Dh;
  // q and k in [-2, 2): scores of a few units, so the softmax is not flat.
  const q = lazy(() => randomData(n, 1, -2, 2));
  const k = lazy(() => randomData(n, 2, -2, 2));
  const v = lazy(() => randomData(n, 3));
  const go = lazy(() => randomData(n, 4));
  const want = lazy((): Float64Array[] => {
    if (!backward) return [attentionRef(q(), shape, k(), v(), shape).data];
    const g = attentionBackwardRef(q(), shape, k(), v(), shape, go());
    return [g.dq, g.dk, g.dv];
  });
  const scale = 1 / Math.sqrt(s.Dh);
  const inputs = () => [q(), k(), v()].map((data) => ({ data, shape, grad: true }));
  const prod = s.B * s.H * s.T * s.T * s.Dh;
  const gy = backward ? { data: go(), shape } : undefined;
  return {
    group: 'attention',
    label: `${s.what} B=${s.B} H=${s.H} T=${s.T} Dh=${s.Dh}, ${backward ? 'fwd+bwd' : 'fwd'}`,
    flops: 2 * prod * (backward ? 6 : 2),
    checks: backward ? 'dQ, dK, dV' : 'output',
    webgrad: (w) => wgInstance(w, inputs(), ([qt, kt, vt]) => w.attention(qt, kt, vt), { gy, want }),
    tfjs: (tf: Tf) =>
      tfInstance(
        tf,
        inputs(),
        ([qt, kt, vt]) => tf.matMul(tf.softmax(tf.mul(tf.matMul(qt, kt, false, true), scale)), vt),
        { gy, want },
      ),
    // jax-js: written from its primitives like the others (its nn.dotProductAttention takes (B, T, H, Dh)).
    jax: (jx) =>
      jaxInstance(
        jx,
        inputs(),
        ([qt, kt, vt]) => {
          const np = jx.numpy;
          return np.matmul(jx.nn.softmax(np.matmul(qt, np.swapaxes(kt, -1, -2)).mul(scale), -1), vt);
        },
        { gy, want },
      ),
    ort: backward
      ? undefined
      : (ctx) =>
          ortInstance(
            ctx,
            {
              inputs: [
                ['Q', shape],
                ['K', shape],
                ['V', shape],
              ],
              outputs: [['O', shape]],
              nodes: [
                node('Transpose', ['K'], ['Kt'], { perm: [0, 1, 3, 2] }),
                node('MatMul', ['Q', 'Kt'], ['S']),
                node('Mul', ['S', 'scale'], ['Ss']),
                node('Softmax', ['Ss'], ['P'], { axis: -1 }),
                node('MatMul', ['P', 'V'], ['O']),
              ],
              initializers: [{ name: 'scale', dims: [], data: [scale] }],
            },
            [
              ['Q', q(), shape],
              ['K', k(), shape],
              ['V', v(), shape],
            ],
            { want },
          ),
    missing: backward ? { ort: NO_ORT_BACKWARD } : undefined,
  };
}

export const COMPARE: CompareRow[] = [
  ...[
    { what: 'DAR', B: 64, H: 8, T: 8, Dh: 16 },
    { what: 'long', B: 1, H: 8, T: 500, Dh: 16 },
  ].flatMap((s) => [attentionRow(s, false), attentionRow(s, true)]),
];
