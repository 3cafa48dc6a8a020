// Side-by-side rows for conv1d: webgrad, tfjs, onnxruntime-web and jax-js on the same inputs, checked against the
// float64 reference (the shared helpers and the peers' rules are in bench/compare.ts).

import { conv1dRef, conv1dRefGeometry, conv1dRefGrads } from '../../src/engine/ops/conv1d.reference';
import { node } from '../peers/onnx-graph';
import { jaxInstance } from '../peers/jax';
import { ortInstance } from '../peers/ort';
import { tfInstance, type Tf } from '../peers/tfjs';
import { type CompareRow, permute } from '../peers/types';
import { randomData } from '../random-data';
import { wgInstance, lazy, NO_ORT_BACKWARD } from '../compare';

interface ConvCase {
  what: string;
  B: number;
  Cin: number;
  T: number;
  Cout: number;
  K: number;
  padding: number | 'same';
}

function convRow(s: ConvCase, backward: boolean): CompareRow {
  const [, , Tout] = conv1dRefGeometry(s.T, s.K, { padding: s.padding });
  const pad = s.padding === 'same' ? (s.K - 1) / 2 : s.padding;
  const xShape = [s.B, s.Cin, s.T];
  const wShape = [s.Cout, s.Cin, s.K];
  const yShape = [s.B, s.Cout, Tout];
  const x = lazy(() => randomData(s.B * s.Cin * s.T, 1));
  const wd = lazy(() => randomData(s.Cout * s.Cin * s.K, 2).map((v) => v / Math.sqrt(s.Cin * s.K)));
  const bias = lazy(() => randomData(s.Cout, 3));
  const gy = lazy(() => randomData(s.B * s.Cout * Tout, 4));
  const want = lazy((): Float64Array[] => {
    if (!backward) return [conv1dRef(x(), xShape, wd(), wShape, bias(), { padding: s.padding }).data];
    const g = conv1dRefGrads(x(), xShape, wd(), wShape, gy(), { padding: s.padding });
    return [g.dw, g.db];
  });
  const macs = s.B * s.Cout * Tout * s.Cin * s.K;
  return {
    group: 'conv1d',
    label: `${s.what} B=${s.B} C=${s.Cin}→${s.Cout} T=${s.T} k=${s.K}${s.padding === 'same' ? ' same' : ''}, ${backward ? 'fwd+bwd (dW, db)' : 'fwd'}`,
    flops: 2 * macs * (backward ? 2 : 1),
    checks: backward ? 'dW, db' : 'output',
    webgrad: (w) =>
      wgInstance(
        w,
        [
          { data: x(), shape: xShape },
          { data: wd(), shape: wShape, grad: true },
          { data: bias(), shape: [s.Cout], grad: true },
        ],
        ([xt, wt, bt]) => w.conv1d(xt, wt, bt, { padding: s.padding }),
        { gy: backward ? { data: gy(), shape: yShape } : undefined, want },
      ),
    // tfjs: x (B, T, Cin), filter (K, Cin, Cout), output (B, T, Cout).
    tfjs: (tf: Tf) =>
      tfInstance(
        tf,
        [
          { data: permute(x(), xShape, [0, 2, 1]), shape: [s.B, s.T, s.Cin] },
          { data: permute(wd(), wShape, [2, 1, 0]), shape: [s.K, s.Cin, s.Cout], grad: true },
          { data: bias(), shape: [s.Cout], grad: true },
        ],
        ([xt, ft, bt]) => tf.add(tf.conv1d(xt as never, ft as never, 1, s.padding === 'same' ? 'same' : 'valid'), bt),
        {
          gy: backward ? { data: permute(gy(), yShape, [0, 2, 1]), shape: [s.B, Tout, s.Cout] } : undefined,
          unpack: backward
            ? ([dw, db]) => [permute(dw, [s.K, s.Cin, s.Cout], [2, 1, 0]), db]
            : ([y]) => [permute(y, [s.B, Tout, s.Cout], [0, 2, 1])],
          want,
        },
      ),
    // jax-js: lax.conv takes webgrad's layout (x (B, Cin, T), w (Cout, Cin, K)); padding as [before, after].
    jax: (jx) =>
      jaxInstance(
        jx,
        [
          { data: x(), shape: xShape },
          { data: wd(), shape: wShape, grad: true },
          { data: bias(), shape: [s.Cout], grad: true },
        ],
        ([xt, wt, bt]) => jx.lax.conv(xt, wt, [1], [[pad, pad]]).add(bt.reshape([s.Cout, 1])),
        { gy: backward ? { data: gy(), shape: yShape } : undefined, want },
      ),
    ort: backward
      ? undefined
      : (ctx) =>
          ortInstance(
            ctx,
            {
              inputs: [
                ['X', xShape],
                ['W', wShape],
                ['Bias', [s.Cout]],
              ],
              outputs: [['Y', yShape]],
              nodes: [node('Conv', ['X', 'W', 'Bias'], ['Y'], { kernel_shape: [s.K], pads: [pad, pad] })],
            },
            [
              ['X', x(), xShape],
              ['W', wd(), wShape],
              ['Bias', bias(), [s.Cout]],
            ],
            { want },
          ),
    missing: backward ? { ort: NO_ORT_BACKWARD } : undefined,
  };
}

const ALIGN_AUDIO: ConvCase = { what: 'align audio', B: 64, Cin: 5, T: 375, Cout: 128, K: 5, padding: 'same' };
const ALIGN_VISION: ConvCase = { what: 'align vision', B: 64, Cin: 20, T: 500, Cout: 128, K: 3, padding: 'same' };
const RESAMPLE_AUDIO: ConvCase = {
  what: 'resample audio (T_m as channels)',
  B: 64,
  Cin: 375,
  T: 5,
  Cout: 8,
  K: 1,
  padding: 0,
};

export const COMPARE: CompareRow[] = [
  ...[ALIGN_AUDIO, ALIGN_VISION, RESAMPLE_AUDIO].flatMap((s) => [convRow(s, false), convRow(s, true)]),
];
