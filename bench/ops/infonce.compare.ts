// Side-by-side rows for InfoNCE: webgrad, tfjs, onnxruntime-web and jax-js on the same inputs, checked against the
// float64 reference (the shared helpers and the peers' rules are in bench/compare.ts).

import { infoNCERef } from '../../src/engine/ops/infonce.reference';
import { node } from '../peers/onnx-graph';
import { jaxInstance, type JArray } from '../peers/jax';
import { ortInstance } from '../peers/ort';
import { tfInstance, type Tf } from '../peers/tfjs';
import type { CompareRow } from '../peers/types';
import { randomData } from '../random-data';
import { wgInstance, lazy, f64, NO_ORT_BACKWARD } from '../compare';

function infoNCERow(N: number, D: number, M: number, backward: boolean): CompareRow {
  const tau = 0.1;
  const eps = 1e-8;
  const a = lazy(() => randomData(N * D, 1));
  const p = lazy(() => randomData(N * D, 2));
  const ng = lazy(() => randomData(M * D, 3));
  const want = lazy(() => [f64([infoNCERef(a(), p(), ng(), N, D, M, { temperature: tau })])]);
  const C = N + M;
  const inputs = () => [
    { data: a(), shape: [N, D], grad: true },
    { data: p(), shape: [N, D], grad: true },
    { data: ng(), shape: [M, D], grad: true },
  ];
  const gy = backward ? { data: new Float32Array([1]), shape: [] } : undefined;
  return {
    group: 'infonce',
    label: `InfoNCE N=${N} D=${D} M=${M} τ=${tau}, ${backward ? 'fwd+bwd' : 'fwd'}`,
    flops: (backward ? 6 : 2) * N * C * D,
    // The backward rows check the loss value (there is no float64 gradient reference for it).
    checks: 'loss',
    webgrad: (w) =>
      wgInstance(w, inputs(), ([at, pt, nt]) => w.infoNCE(at, pt, { temperature: tau, negatives: nt }), {
        gy,
        want,
        checkForward: backward,
      }),
    tfjs: (tf: Tf) =>
      tfInstance(
        tf,
        inputs(),
        ([at, pt, nt]) => {
          const unit = (t: typeof at) => tf.div(t, tf.maximum(tf.norm(t, 'euclidean', 1, true), eps));
          const [an, pn, nn] = [unit(at), unit(pt), unit(nt)];
          const logits = tf.div(tf.matMul(an, tf.concat([pn, nn], 0), false, true), tau);
          const pos = tf.div(tf.sum(tf.mul(an, pn), 1), tau);
          return tf.mean(tf.sub(tf.logSumExp(logits, 1), pos));
        },
        { gy, want, checkForward: backward },
      ),
    // jax-js consumes an array each time it is used: a second use takes `.ref`.
    jax: (jx) =>
      jaxInstance(
        jx,
        inputs(),
        ([at, pt, nt]) => {
          const np = jx.numpy;
          const unit = (t: JArray) => t.ref.div(np.maximum(np.sqrt(np.square(t).sum(1, { keepdims: true })), eps));
          const [an, pn, nn] = [unit(at), unit(pt), unit(nt)];
          const logits = np.matmul(an.ref, np.concatenate([pn.ref, nn], 0).transpose()).div(tau);
          const pos = an.mul(pn).sum(1).div(tau);
          return jx.nn.logsumexp(logits, 1).sub(pos).mean();
        },
        { gy, want, checkForward: backward },
      ),
    ort: backward
      ? undefined
      : (ctx) => {
          const unit = (x: string) => [
            node('ReduceSumSquare', [x], [`${x}ss`], { axes: [1], keepdims: 1 }),
            node('Sqrt', [`${x}ss`], [`${x}n`]),
            node('Clip', [`${x}n`, 'eps'], [`${x}c`]),
            node('Div', [x, `${x}c`], [`${x}u`]),
          ];
          return ortInstance(
            ctx,
            {
              inputs: [
                ['A', [N, D]],
                ['P', [N, D]],
                ['Ng', [M, D]],
              ],
              outputs: [['loss', []]],
              nodes: [
                ...unit('A'),
                ...unit('P'),
                ...unit('Ng'),
                node('Concat', ['Pu', 'Ngu'], ['Cu'], { axis: 0 }),
                node('Transpose', ['Cu'], ['Ct'], { perm: [1, 0] }),
                node('MatMul', ['Au', 'Ct'], ['S']),
                node('Mul', ['S', 'invTau'], ['L']),
                node('ReduceLogSumExp', ['L'], ['lse'], { axes: [1], keepdims: 0 }),
                node('Mul', ['Au', 'Pu'], ['AP']),
                node('ReduceSum', ['AP', 'axis1'], ['pos0'], { keepdims: 0 }),
                node('Mul', ['pos0', 'invTau'], ['pos']),
                node('Sub', ['lse', 'pos'], ['per']),
                node('ReduceMean', ['per'], ['loss'], { axes: [0], keepdims: 0 }),
              ],
              initializers: [
                { name: 'eps', dims: [], data: [eps] },
                { name: 'invTau', dims: [], data: [1 / tau] },
                { name: 'axis1', dims: [1], data: [1], int64: true },
              ],
            },
            [
              ['A', a(), [N, D]],
              ['P', p(), [N, D]],
              ['Ng', ng(), [M, D]],
            ],
            { want },
          );
        },
    missing: backward ? { ort: NO_ORT_BACKWARD } : undefined,
  };
}

export const COMPARE: CompareRow[] = [infoNCERow(64, 128, 128, false), infoNCERow(64, 128, 128, true)];
