// Side-by-side rows (bench/ops/<family>.compare.ts, listed in bench/registry.ts): each computation on webgrad, on
// tfjs (WebGPU backend) and on onnxruntime-web (WebGPU provider), from the same input data, each checked against the
// float64 CPU reference of src/engine/ops/*.reference.ts. This file holds webgrad's side of a row, shared by all.
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
import type { KernelBenchInstance } from './cases';
import { maxRelErr } from './peers/types';

export type Wg = typeof wgType;
export type T = wgType.Tensor;

export const NO_ORT_BACKWARD = 'onnxruntime-web has no backward (inference only)';

export interface WgInput {
  data: Float32Array;
  shape: number[];
  grad?: boolean;
}

/**
 * webgrad's side of a row: forward over `inputs`, or with `gy` forward + backward with gradients for the inputs marked
 * `grad`; check() compares the output (forward, or with checkForward) or those gradients with `want()`.
 */
export function wgInstance(
  w: Wg,
  inputs: WgInput[],
  fwd: (xs: T[]) => T,
  opts: { gy?: { data: Float32Array; shape: number[] }; want: () => Float64Array[]; checkForward?: boolean },
): KernelBenchInstance {
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
export function lazy<V>(f: () => V): () => V {
  let v: V | undefined;
  return () => (v ??= f());
}

export const f64 = (x: ArrayLike<number>) => Float64Array.from(x);
