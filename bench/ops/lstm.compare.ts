// Side-by-side rows for the BiLSTM: webgrad, tfjs, onnxruntime-web and jax-js on the same inputs, checked against the
// float64 reference (the shared helpers and the peers' rules are in bench/compare.ts).

import { refLstm } from '../../src/engine/ops/lstm.reference';
import { node } from '../peers/onnx-graph';
import { jaxInstance, type JArray } from '../peers/jax';
import { ortInstance } from '../peers/ort';
import { tfInstance, type Tf } from '../peers/tfjs';
import { type CompareRow, permute } from '../peers/types';
import { randomData } from '../random-data';
import { wgInstance, lazy, NO_ORT_BACKWARD } from '../compare';

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
  const weights = lazy(() =>
    [0, 1].flatMap((d) =>
      shapes.map((sh, j) =>
        randomData(
          sh.reduce((p, q) => p * q, 1),
          10 + 4 * d + j,
          -bound,
          bound,
        ),
      ),
    ),
  );
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
    webgrad: (w) =>
      wgInstance(
        w,
        [{ data: x(), shape: [B, T, I] }, ...weights().map((data, j) => ({ data, shape: shapes[j % 4], grad: true }))],
        ([xt, ...ws]) => w.lstm(xt, ws, { bidirectional: true }).output,
        { gy, want, checkForward: backward },
      ),
    // tfjs: tf.basicLSTMCell per step and direction; kernel ((I + H), 4H) over [x, h] with gates (i, j = g, f, o).
    tfjs: (tf: Tf) => {
      const cell = (d: number) => {
        const [wih, whh, bih, bhh] = weights().slice(4 * d, 4 * d + 4);
        const order = [0, 2, 1, 3]; // tfjs i, j, f, o ← PyTorch i, f, g, o
        const k = new Float32Array((I + H) * 4 * H);
        k.set(permute(reorderGates(wih, H, order), [4 * H, I], [1, 0]), 0);
        k.set(permute(reorderGates(whh, H, order), [4 * H, H], [1, 0]), I * 4 * H);
        const b = reorderGates(
          bih.map((v, i) => v + bhh[i]),
          H,
          order,
        );
        return [
          { data: k, shape: [I + H, 4 * H], grad: true },
          { data: b, shape: [4 * H], grad: true },
        ];
      };
      return tfInstance(
        tf,
        [{ data: x(), shape: [B, T, I] }, ...cell(0), ...cell(1)],
        ([xt, k0, b0, k1, b1]) => {
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
          return tf.stack(
            fw.map((h, t) => tf.concat([h, bw[t]], 1)),
            1,
          );
        },
        { gy, want, checkForward: backward },
      );
    },
    // jax-js has no LSTM op: the cell from its primitives, PyTorch's layout and gate order (i, f, g, o), both directions
    // unrolled over the T steps inside jit. An array is consumed by each use: a second use takes `.ref`.
    jax: (jx) =>
      jaxInstance(
        jx,
        [{ data: x(), shape: [B, T, I] }, ...weights().map((data, j) => ({ data, shape: shapes[j % 4], grad: true }))],
        ([xt, ...ws]) => {
          const np = jx.numpy;
          const { sigmoid } = jx.nn;
          const run = (xs: JArray, [wih, whh, bih, bhh]: JArray[], reverse: boolean): JArray[] => {
            const proj = np.matmul(xs, wih.transpose()).add(bih.add(bhh)); // (B, T, 4H): every step's input part
            const whhT = whh.transpose(); // (H, 4H)
            let h = np.zeros([B, H]);
            let c = np.zeros([B, H]);
            const out = new Array<JArray>(T);
            for (let s = 0; s < T; s++) {
              const t = reverse ? T - 1 - s : s;
              const z = proj.ref.slice([], t, []).add(np.matmul(h, whhT.ref)); // (B, 4H)
              const gate = (k: number) => z.ref.slice([], [k * H, (k + 1) * H]);
              const [i, f, g, o] = [sigmoid(gate(0)), sigmoid(gate(1)), np.tanh(gate(2)), sigmoid(gate(3))];
              z.dispose();
              c = f.mul(c).add(i.mul(g));
              h = o.mul(np.tanh(c.ref));
              out[t] = h.ref;
            }
            for (const a of [proj, whhT, h, c]) a.dispose();
            return out;
          };
          const fw = run(xt.ref, ws.slice(0, 4), false);
          const bw = run(xt, ws.slice(4), true);
          return np.stack(
            fw.map((hf, t) => np.concatenate([hf, bw[t]], 1)),
            1,
          );
        },
        { gy, want, checkForward: backward },
      ),
    // ORT: LSTM op, X (T, B, I); W (2, 4H, I), R (2, 4H, H) with gates (i, o, f, c); B (2, 8H) = [Wb, Rb]; Y (T, 2, B, H).
    ort: backward
      ? undefined
      : (ctx) => {
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
          const Bv = cat(
            [0, 1].flatMap((d) => [reorderGates(ws[4 * d + 2], H, order), reorderGates(ws[4 * d + 3], H, order)]),
          );
          return ortInstance(
            ctx,
            {
              inputs: [
                ['X', [T, B, I]],
                ['W', [2, 4 * H, I]],
                ['R', [2, 4 * H, H]],
                ['B', [2, 8 * H]],
              ],
              outputs: [['Y', [T, 2, B, H]]],
              nodes: [node('LSTM', ['X', 'W', 'R', 'B'], ['Y'], { hidden_size: H, direction: 'bidirectional' })],
            },
            [
              ['X', permute(x(), [B, T, I], [1, 0, 2]), [T, B, I]],
              ['W', W, [2, 4 * H, I]],
              ['R', R, [2, 4 * H, H]],
              ['B', Bv, [2, 8 * H]],
            ],
            {
              unpack: ([y]) => [permute(y, [T, 2, B, H], [2, 0, 1, 3])],
              want,
            },
          );
        },
    missing: backward ? { ort: NO_ORT_BACKWARD } : undefined,
  };
}

export const COMPARE: CompareRow[] = [lstmRow(64, 8, 128, 64, false), lstmRow(64, 8, 128, 64, true)];
