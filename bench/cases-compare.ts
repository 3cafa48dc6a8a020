// Side-by-side rows: each computation on webgrad, on tfjs (WebGPU backend) and on onnxruntime-web (WebGPU provider),
// from the same input data, each checked against the float64 CPU reference of src/engine/ops/*.reference.ts.
//
//   matmul    the ladder's shapes (512³ and DAR's Linear shapes, 64·8 rows × 128/512), forward; forward + backward
//             (dX and dW) at three of them
//   conv1d    DAR's alignment convolutions (audio 5→128 over T = 375, k = 5; vision 20→128 over T = 500, k = 3;
//             the time-axis resampling 375→8, k = 1), forward and forward + backward (dW, db: the input is data)
//   attention softmax(Q·Kᵀ/√d)·V at DAR's shape (B = 64, 8 heads × 16, t = 8) and at T = 500 (B = 1: the peers take
//             30–50 s a forward call at B = 8 here, which no bench run can afford)
//   bilstm    the CLUB estimator's BiLSTM (B = 64, t = 8, 128 → 64 × 2)
//   infonce   cosine InfoNCE at DAR's L_sim^spec shape (N = 64, D = 128, 128 extra negatives, τ = 0.1)
//
// Peers get the layout their API takes (tfjs conv1d is NWC, ORT's LSTM is time-major with its own gate order); the
// data are the same numbers, rearranged once at setup, and results are mapped back before the check. The peers'
// computations are written from their public primitives the way a user would write them (tf.grads for backward;
// ORT-web has no training API, so its rows are forward only).

import type * as wgType from '../src/index';
import { attentionBackwardRef, attentionRef } from '../src/engine/ops/attention.reference';
import { conv1dRef, conv1dRefGeometry, conv1dRefGrads } from '../src/engine/ops/conv1d.reference';
import { infoNCERef } from '../src/engine/ops/infonce.reference';
import { refLstm } from '../src/engine/ops/lstm.reference';
import { matmulRef } from '../src/engine/ops/matmul.reference';
import type { KernelBenchInstance } from './cases';
import { node } from './peers/onnx-graph';
import { ortInstance } from './peers/ort';
import { tfInstance, type Tf } from './peers/tfjs';
import type { CompareRow } from './peers/types';
import { maxRelErr, permute } from './peers/types';
import { randomData } from './random-data';

type Wg = typeof wgType;
type T = wgType.Tensor;

const NO_ORT_BACKWARD = 'onnxruntime-web has no backward (inference only)';

interface WgInput {
  data: Float32Array;
  shape: number[];
  grad?: boolean;
}

/**
 * webgrad's side of a row: forward over `inputs`, or with `gy` forward + backward with gradients for the inputs marked
 * `grad`; check() compares the output (forward, or with checkForward) or those gradients with `want()`.
 */
function wgInstance(w: Wg, inputs: WgInput[], fwd: (xs: T[]) => T,
  opts: { gy?: { data: Float32Array; shape: number[] }; want: () => Float64Array[]; checkForward?: boolean }): KernelBenchInstance {
  const backward = !!opts.gy;
  const xs = inputs.map((i) => w.tensor(i.data, i.shape, { requiresGrad: backward && !!i.grad }).keep());
  const gy = opts.gy ? w.tensor(opts.gy.data, opts.gy.shape).keep() : null;
  const graded = xs.filter((_, i) => backward && inputs[i].grad);
  const clear = () => {
    for (const t of graded) {
      t.grad?.dispose();
      t.grad = null;
    }
  };
  const call = () => {
    const y = fwd(xs);
    if (gy) y.backward(gy);
    return y;
  };
  return {
    run() {
      call();
      clear();
    },
    async check() {
      let got: Float32Array[];
      // A backward row checked on its forward output still runs its backward once here, so that every pipeline it
      // times exists before the warm-up (the first call compiles them).
      if (backward && opts.checkForward) w.tidy(() => void call());
      if (backward) clear();
      if (!backward || opts.checkForward) {
        const y = w.tidy(() => w.noGrad(() => fwd(xs)));
        got = [await y.toArray()];
        y.dispose();
      } else {
        w.tidy(() => {
          call();
        });
        got = await Promise.all(graded.map((t) => t.grad!.toArray()));
        clear();
      }
      return maxRelErr(got, opts.want());
    },
    dispose() {
      clear();
      for (const t of xs) t.dispose();
      gy?.dispose();
    },
  };
}

/** Computes once on first use (the float64 references are slow at these sizes and shared by the three impls). */
function lazy<V>(f: () => V): () => V {
  let v: V | undefined;
  return () => (v ??= f());
}

const f64 = (x: ArrayLike<number>) => Float64Array.from(x);

// ------------------------------------------------------------------------------------------------------------ matmul

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
    webgrad: (w) => wgInstance(w, [{ data: a(), shape: aShape }, { data: b(), shape: bShape }],
      ([x, y]) => w.matmul(x, y, { transA: c.transA, transB: c.transB }), { want }),
    tfjs: (tf) => tfInstance(tf, [{ data: a(), shape: aShape }, { data: b(), shape: bShape }],
      ([x, y]) => tf.matMul(x, y, c.transA, c.transB), { want }),
    ort: (ctx) => ortInstance(ctx, {
      inputs: [['A', aShape], ['B', bShape]],
      outputs: [['Y', [c.M, c.N]]],
      nodes: [node('Gemm', ['A', 'B'], ['Y'], { transA: c.transA ? 1 : 0, transB: c.transB ? 1 : 0 })],
    }, [['A', a(), aShape], ['B', b(), bShape]], { want }),
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
  const inputs = () => [{ data: x(), shape: [M, K], grad: true }, { data: wt(), shape: [K, N], grad: true }];
  return {
    group: 'matmul',
    label: `${name} (${M}×${K}·${K}×${N}), fwd+bwd`,
    flops: 3 * 2 * M * N * K,
    checks: 'dX, dW',
    webgrad: (w) => wgInstance(w, inputs(), ([a, b]) => w.matmul(a, b), { gy: { data: gy(), shape: [M, N] }, want }),
    tfjs: (tf) => tfInstance(tf, inputs(), ([a, b]) => tf.matMul(a, b), { gy: { data: gy(), shape: [M, N] }, want }),
    missing: { ort: NO_ORT_BACKWARD },
  };
}

// ------------------------------------------------------------------------------------------------------------ conv1d

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
    webgrad: (w) => wgInstance(w, [
      { data: x(), shape: xShape },
      { data: wd(), shape: wShape, grad: true },
      { data: bias(), shape: [s.Cout], grad: true },
    ], ([xt, wt, bt]) => w.conv1d(xt, wt, bt, { padding: s.padding }), { gy: backward ? { data: gy(), shape: yShape } : undefined, want }),
    // tfjs: x (B, T, Cin), filter (K, Cin, Cout), output (B, T, Cout).
    tfjs: (tf: Tf) => tfInstance(tf, [
      { data: permute(x(), xShape, [0, 2, 1]), shape: [s.B, s.T, s.Cin] },
      { data: permute(wd(), wShape, [2, 1, 0]), shape: [s.K, s.Cin, s.Cout], grad: true },
      { data: bias(), shape: [s.Cout], grad: true },
    ], ([xt, ft, bt]) => tf.add(tf.conv1d(xt as never, ft as never, 1, s.padding === 'same' ? 'same' : 'valid'), bt), {
      gy: backward ? { data: permute(gy(), yShape, [0, 2, 1]), shape: [s.B, Tout, s.Cout] } : undefined,
      unpack: backward
        ? ([dw, db]) => [permute(dw, [s.K, s.Cin, s.Cout], [2, 1, 0]), db]
        : ([y]) => [permute(y, [s.B, Tout, s.Cout], [0, 2, 1])],
      want,
    }),
    ort: backward ? undefined : (ctx) => ortInstance(ctx, {
      inputs: [['X', xShape], ['W', wShape], ['Bias', [s.Cout]]],
      outputs: [['Y', yShape]],
      nodes: [node('Conv', ['X', 'W', 'Bias'], ['Y'], { kernel_shape: [s.K], pads: [pad, pad] })],
    }, [['X', x(), xShape], ['W', wd(), wShape], ['Bias', bias(), [s.Cout]]], { want }),
    missing: backward ? { ort: NO_ORT_BACKWARD } : undefined,
  };
}

const ALIGN_AUDIO: ConvCase = { what: 'align audio', B: 64, Cin: 5, T: 375, Cout: 128, K: 5, padding: 'same' };
const ALIGN_VISION: ConvCase = { what: 'align vision', B: 64, Cin: 20, T: 500, Cout: 128, K: 3, padding: 'same' };
const RESAMPLE_AUDIO: ConvCase = { what: 'resample audio (T_m as channels)', B: 64, Cin: 375, T: 5, Cout: 8, K: 1, padding: 0 };

// --------------------------------------------------------------------------------------------------------- attention

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
    tfjs: (tf: Tf) => tfInstance(tf, inputs(),
      ([qt, kt, vt]) => tf.matMul(tf.softmax(tf.mul(tf.matMul(qt, kt, false, true), scale)), vt), { gy, want }),
    ort: backward ? undefined : (ctx) => ortInstance(ctx, {
      inputs: [['Q', shape], ['K', shape], ['V', shape]],
      outputs: [['O', shape]],
      nodes: [
        node('Transpose', ['K'], ['Kt'], { perm: [0, 1, 3, 2] }),
        node('MatMul', ['Q', 'Kt'], ['S']),
        node('Mul', ['S', 'scale'], ['Ss']),
        node('Softmax', ['Ss'], ['P'], { axis: -1 }),
        node('MatMul', ['P', 'V'], ['O']),
      ],
      initializers: [{ name: 'scale', dims: [], data: [scale] }],
    }, [['Q', q(), shape], ['K', k(), shape], ['V', v(), shape]], { want }),
    missing: backward ? { ort: NO_ORT_BACKWARD } : undefined,
  };
}

// ------------------------------------------------------------------------------------------------------------ BiLSTM

/** PyTorch gate blocks (i, f, g, o) of a (4H, ·) matrix or a 4H vector, reordered as `order` (indices into ifgo). */
function reorderGates(m: Float32Array, H: number, order: number[]): Float32Array {
  const cols = m.length / (4 * H);
  const out = new Float32Array(m.length);
  order.forEach((src, dst) => out.set(m.subarray(src * H * cols, (src + 1) * H * cols), dst * H * cols));
  return out;
}

function lstmRow(B: number, T: number, I: number, H: number, backward: boolean): CompareRow {
  const bound = 1 / Math.sqrt(H);
  // PyTorch's flat order per direction: weight_ih (4H, I), weight_hh (4H, H), bias_ih (4H), bias_hh (4H).
  const shapes = [[4 * H, I], [4 * H, H], [4 * H], [4 * H]];
  const weights = lazy(() => [0, 1].flatMap((d) => shapes.map((sh, j) =>
    randomData(sh.reduce((p, q) => p * q, 1), 10 + 4 * d + j, -bound, bound))));
  const x = lazy(() => randomData(B * T * I, 1));
  const gOut = lazy(() => randomData(B * T * 2 * H, 2));
  const want = lazy(() => [refLstm(x(), [B, T, I], weights(), { hidden: H, bidirectional: true }).output.data]);
  const proj = 2 * B * T * I * 2 * 4 * H;
  const rec = 2 * B * T * 2 * 4 * H * H;
  const gy = backward ? { data: gOut(), shape: [B, T, 2 * H] } : undefined;
  return {
    group: 'bilstm',
    label: `BiLSTM B=${B} T=${T} I=${I} H=${H}×2, ${backward ? 'fwd+bwd (weights)' : 'fwd'}`,
    flops: backward ? 3 * proj + 3 * rec : proj + rec,
    // No float64 BPTT reference exists: the backward rows check the forward output of the same weights.
    checks: backward ? 'forward output' : 'output',
    webgrad: (w) => wgInstance(w, [
      { data: x(), shape: [B, T, I] },
      ...weights().map((data, j) => ({ data, shape: shapes[j % 4], grad: true })),
    ], ([xt, ...ws]) => w.lstm(xt, ws, { bidirectional: true }).output, { gy, want, checkForward: backward }),
    // tfjs: tf.basicLSTMCell per step and direction; kernel ((I + H), 4H) over [x, h] with gates (i, j = g, f, o).
    tfjs: (tf: Tf) => {
      const cell = (d: number) => {
        const [wih, whh, bih, bhh] = weights().slice(4 * d, 4 * d + 4);
        const order = [0, 2, 1, 3]; // tfjs i, j, f, o ← PyTorch i, f, g, o
        const k = new Float32Array((I + H) * 4 * H);
        k.set(permute(reorderGates(wih, H, order), [4 * H, I], [1, 0]), 0);
        k.set(permute(reorderGates(whh, H, order), [4 * H, H], [1, 0]), I * 4 * H);
        const b = reorderGates(bih.map((v, i) => v + bhh[i]), H, order);
        return [{ data: k, shape: [I + H, 4 * H], grad: true }, { data: b, shape: [4 * H], grad: true }];
      };
      return tfInstance(tf, [{ data: x(), shape: [B, T, I] }, ...cell(0), ...cell(1)], ([xt, k0, b0, k1, b1]) => {
        const steps = tf.unstack(xt, 1) as never[] as import('@tensorflow/tfjs').Tensor2D[];
        const forget = tf.scalar(0);
        const run = (kernel: typeof k0, bias: typeof b0, reverse: boolean) => {
          let c = tf.zeros([B, H]) as import('@tensorflow/tfjs').Tensor2D;
          let h = c;
          const out = new Array<typeof c>(T);
          for (let s = 0; s < T; s++) {
            const t = reverse ? T - 1 - s : s;
            [c, h] = tf.basicLSTMCell(forget, kernel as never, bias as never, steps[t], c, h);
            out[t] = h;
          }
          return out;
        };
        const fw = run(k0, b0, false);
        const bw = run(k1, b1, true);
        return tf.stack(fw.map((h, t) => tf.concat([h, bw[t]], 1)), 1);
      }, { gy, want, checkForward: backward });
    },
    // ORT: LSTM op, X (T, B, I); W (2, 4H, I), R (2, 4H, H) with gates (i, o, f, c); B (2, 8H) = [Wb, Rb]; Y (T, 2, B, H).
    ort: backward ? undefined : (ctx) => {
      const order = [0, 3, 1, 2]; // ORT i, o, f, c ← PyTorch i, f, g, o
      const ws = weights();
      const cat = (parts: Float32Array[]) => {
        const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
        let o = 0;
        for (const p of parts) {
          out.set(p, o);
          o += p.length;
        }
        return out;
      };
      const W = cat([0, 1].map((d) => reorderGates(ws[4 * d], H, order)));
      const R = cat([0, 1].map((d) => reorderGates(ws[4 * d + 1], H, order)));
      const Bv = cat([0, 1].flatMap((d) => [reorderGates(ws[4 * d + 2], H, order), reorderGates(ws[4 * d + 3], H, order)]));
      return ortInstance(ctx, {
        inputs: [['X', [T, B, I]], ['W', [2, 4 * H, I]], ['R', [2, 4 * H, H]], ['B', [2, 8 * H]]],
        outputs: [['Y', [T, 2, B, H]]],
        nodes: [node('LSTM', ['X', 'W', 'R', 'B'], ['Y'], { hidden_size: H, direction: 'bidirectional' })],
      }, [['X', permute(x(), [B, T, I], [1, 0, 2]), [T, B, I]], ['W', W, [2, 4 * H, I]], ['R', R, [2, 4 * H, H]], ['B', Bv, [2, 8 * H]]], {
        unpack: ([y]) => [permute(y, [T, 2, B, H], [2, 0, 1, 3])],
        want,
      });
    },
    missing: backward ? { ort: NO_ORT_BACKWARD } : undefined,
  };
}

// ----------------------------------------------------------------------------------------------------------- InfoNCE

function infoNCERow(N: number, D: number, M: number, backward: boolean): CompareRow {
  const tau = 0.1;
  const eps = 1e-8;
  const a = lazy(() => randomData(N * D, 1));
  const p = lazy(() => randomData(N * D, 2));
  const ng = lazy(() => randomData(M * D, 3));
  const want = lazy(() => [f64([infoNCERef(a(), p(), ng(), N, D, M, { temperature: tau })])]);
  const C = N + M;
  const inputs = () => [{ data: a(), shape: [N, D], grad: true }, { data: p(), shape: [N, D], grad: true }, { data: ng(), shape: [M, D], grad: true }];
  const gy = backward ? { data: new Float32Array([1]), shape: [] } : undefined;
  return {
    group: 'infonce',
    label: `InfoNCE N=${N} D=${D} M=${M} τ=${tau}, ${backward ? 'fwd+bwd' : 'fwd'}`,
    flops: (backward ? 6 : 2) * N * C * D,
    // The backward rows check the loss value (there is no float64 gradient reference for it).
    checks: 'loss',
    webgrad: (w) => wgInstance(w, inputs(), ([at, pt, nt]) => w.infoNCE(at, pt, { temperature: tau, negatives: nt }),
      { gy, want, checkForward: backward }),
    tfjs: (tf: Tf) => tfInstance(tf, inputs(), ([at, pt, nt]) => {
      const unit = (t: typeof at) => tf.div(t, tf.maximum(tf.norm(t, 'euclidean', 1, true), eps));
      const [an, pn, nn] = [unit(at), unit(pt), unit(nt)];
      const logits = tf.div(tf.matMul(an, tf.concat([pn, nn], 0), false, true), tau);
      const pos = tf.div(tf.sum(tf.mul(an, pn), 1), tau);
      return tf.mean(tf.sub(tf.logSumExp(logits, 1), pos));
    }, { gy, want, checkForward: backward }),
    ort: backward ? undefined : (ctx) => {
      const unit = (x: string) => [
        node('ReduceSumSquare', [x], [`${x}ss`], { axes: [1], keepdims: 1 }),
        node('Sqrt', [`${x}ss`], [`${x}n`]),
        node('Clip', [`${x}n`, 'eps'], [`${x}c`]),
        node('Div', [x, `${x}c`], [`${x}u`]),
      ];
      return ortInstance(ctx, {
        inputs: [['A', [N, D]], ['P', [N, D]], ['Ng', [M, D]]],
        outputs: [['loss', []]],
        nodes: [
          ...unit('A'), ...unit('P'), ...unit('Ng'),
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
      }, [['A', a(), [N, D]], ['P', p(), [N, D]], ['Ng', ng(), [M, D]]], { want });
    },
    missing: backward ? { ort: NO_ORT_BACKWARD } : undefined,
  };
}

// -------------------------------------------------------------------------------------------------------------- rows

export const COMPARE: CompareRow[] = [
  ...MATMUL_CASES.map(matmulRow),
  linearBackwardRow('512×512 · 512×512', 512, 512, 512),
  linearBackwardRow('Linear 128→512', 512, 128, 512),
  linearBackwardRow('Linear 512→128', 512, 512, 128),
  ...[ALIGN_AUDIO, ALIGN_VISION, RESAMPLE_AUDIO].flatMap((s) => [convRow(s, false), convRow(s, true)]),
  ...[{ what: 'DAR', B: 64, H: 8, T: 8, Dh: 16 }, { what: 'long', B: 1, H: 8, T: 500, Dh: 16 }]
    .flatMap((s) => [attentionRow(s, false), attentionRow(s, true)]),
  lstmRow(64, 8, 128, 64, false),
  lstmRow(64, 8, 128, 64, true),
  infoNCERow(64, 128, 128, false),
  infoNCERow(64, 128, 128, true),
];
