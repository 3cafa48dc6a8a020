// conv1d benchmark rows at DAR's alignment-layer shapes (docs/models.md §6.2) and one larger shape: forward; forward +
// backward with gradients for weight and bias (DAR's case: the alignment layer's input is data); and forward + backward
// with dx too. '[default]' is what conv1d() runs without a kernel option: 'window' for the forward pass and dx of the
// 'same' convolutions below, 'tiled' for the pointwise ones; dweight and dbias come from conv1d_grad_w_tiled except
// on the 'gemm' rung (the GPU profile's: conv1d_gemm*.wgsl), which has its own dweight kernel.
//
//   - time-axis resampling: Conv1d(T_m → 8, kernel 1) over (B, T_m, d_m) = (64, 375, 5) and (64, 500, 20): a
//     pointwise conv, so the matmul rung is timed beside the tiled one;
//   - the alternative alignment: Conv1d(d_m → 128, k, 'same') over time, d_m = 5 with T = 375 and k = 5 (audio) and
//     d_m = 20 with T = 500 and k = 3 (vision), and the other kernel size of each;
//   - a larger shape: B = 64, 128 → 128 channels, T = 500, k = 3.
// GFLOP/s counts 2 flops per multiply-add of the forward sum (B·C_out·T_out·C_in/groups·K of them), and the same again
// for dweight and for dx when they are computed (dbias is not counted).

import type * as wgType from '../../src/index';
import type { Conv1dKernel } from '../../src/engine/ops/conv1d';
import { conv1dRef, conv1dRefGeometry, conv1dRefGrads } from '../../src/engine/ops/conv1d.reference';
import type { KernelBench, KernelBenchInstance } from '../cases';
import { randomData } from '../random-data';

interface Shape {
  B: number;
  Cin: number;
  T: number;
  Cout: number;
  K: number;
  padding: number | 'same';
  what: string;
}

interface Data {
  x: Float32Array;
  w: Float32Array;
  b: Float32Array;
  gy: Float32Array;
  Tout: number;
  /** float64 reference results, computed on first use and shared by the rows of one shape. */
  fwd?: Float64Array;
  grads?: { dx: Float64Array; dw: Float64Array; db: Float64Array };
}
const data = new Map<string, Data>();

function dataFor(s: Shape): Data {
  const key = JSON.stringify(s);
  let d = data.get(key);
  if (!d) {
    const Tout = conv1dRefGeometry(s.T, s.K, { padding: s.padding })[2];
    d = {
      x: randomData(s.B * s.Cin * s.T, 1),
      w: randomData(s.Cout * s.Cin * s.K, 2).map((v) => v / Math.sqrt(s.Cin * s.K)),
      b: randomData(s.Cout, 3),
      gy: randomData(s.B * s.Cout * Tout, 4),
      Tout,
    };
    data.set(key, d);
  }
  return d;
}

function maxRelErr(got: Float32Array, want: Float64Array): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    err = Math.max(err, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return err / Math.max(scale, 1e-30);
}

/** 'fwd'; 'fwd+bwd' with gradients for weight and bias only (DAR: the alignment layer's input is data); 'fwd+bwd+dx'. */
type Mode = 'fwd' | 'fwd+bwd' | 'fwd+bwd+dx';

function row(s: Shape, kernel: Conv1dKernel | 'default', mode: Mode): KernelBench {
  const macs = s.B * s.Cout * conv1dRefGeometry(s.T, s.K, { padding: s.padding })[2] * s.Cin * s.K;
  const backward = mode !== 'fwd';
  const withDx = mode === 'fwd+bwd+dx';
  return {
    group: 'conv1d',
    label: `${s.what} B=${s.B} C=${s.Cin}→${s.Cout} T=${s.T} k=${s.K}${s.padding === 'same' ? ' same' : ''}, ${mode} [${kernel}]`,
    flops: 2 * macs * (mode === 'fwd' ? 1 : mode === 'fwd+bwd' ? 2 : 3),
    setup(w: typeof wgType): KernelBenchInstance {
      const d = dataFor(s);
      const shape = [s.B, s.Cin, s.T];
      const wShape = [s.Cout, s.Cin, s.K];
      const x = w.tensor(d.x, shape, { requiresGrad: withDx }).keep();
      const weight = w.tensor(d.w, wShape, { requiresGrad: backward }).keep();
      const bias = w.tensor(d.b, [s.Cout], { requiresGrad: backward }).keep();
      const gy = w.tensor(d.gy, [s.B, s.Cout, d.Tout]).keep();
      const opts = kernel === 'default' ? { padding: s.padding } : { padding: s.padding, kernel };
      const params = withDx ? [x, weight, bias] : [weight, bias];
      const clearGrads = () => {
        for (const p of params) {
          p.grad?.dispose();
          p.grad = null;
        }
      };
      const call = () => {
        const y = w.conv1d(x, weight, bias, opts);
        if (backward) y.backward(gy);
        return y;
      };
      return {
        run() {
          call();
          clearGrads(); // so every call starts from no gradient (no accumulate pass)
        },
        async check() {
          if (!backward) {
            const y = w.tidy(() => call());
            const got = await y.toArray();
            y.dispose();
            d.fwd ??= conv1dRef(d.x, shape, d.w, wShape, d.b, { padding: s.padding }).data;
            return maxRelErr(got, d.fwd);
          }
          w.tidy(() => {
            call();
          });
          const got = await Promise.all(params.map((p) => p.grad!.toArray()));
          clearGrads();
          d.grads ??= conv1dRefGrads(d.x, shape, d.w, wShape, d.gy, { padding: s.padding });
          const want = withDx ? [d.grads.dx, d.grads.dw, d.grads.db] : [d.grads.dw, d.grads.db];
          return Math.max(...got.map((g, i) => maxRelErr(g, want[i])));
        },
        dispose() {
          for (const t of [x, weight, bias]) {
            t.grad?.dispose();
            t.grad = null;
          }
          for (const t of [x, weight, bias, gy]) t.dispose();
        },
      };
    },
  };
}

// DAR's unaligned MOSI/MOSEI inputs: audio (T = 375, 5 features), vision (T = 500, 20 features); t = 8, d = 128.
const RESAMPLE_AUDIO: Shape = {
  what: 'resample audio (T_m as channels)',
  B: 64,
  Cin: 375,
  T: 5,
  Cout: 8,
  K: 1,
  padding: 0,
};
const RESAMPLE_VISION: Shape = {
  what: 'resample vision (T_m as channels)',
  B: 64,
  Cin: 500,
  T: 20,
  Cout: 8,
  K: 1,
  padding: 0,
};
const ALT_AUDIO_5: Shape = { what: 'align audio', B: 64, Cin: 5, T: 375, Cout: 128, K: 5, padding: 'same' };
const ALT_AUDIO_3: Shape = { what: 'align audio', B: 64, Cin: 5, T: 375, Cout: 128, K: 3, padding: 'same' };
const ALT_VISION_3: Shape = { what: 'align vision', B: 64, Cin: 20, T: 500, Cout: 128, K: 3, padding: 'same' };
const ALT_VISION_5: Shape = { what: 'align vision', B: 64, Cin: 20, T: 500, Cout: 128, K: 5, padding: 'same' };
const LARGE: Shape = { what: 'larger', B: 64, Cin: 128, T: 500, Cout: 128, K: 3, padding: 'same' };

const MODES: Mode[] = ['fwd', 'fwd+bwd', 'fwd+bwd+dx'];

export const BENCHES: KernelBench[] = [
  // Pointwise: the default ('tiled') against matmul on every mode, the GPU profile's gemm rung forward and with
  // dweight (its split-K case), and the naive rung forward.
  ...[RESAMPLE_AUDIO, RESAMPLE_VISION].flatMap((s) => [
    ...MODES.flatMap((m) => [row(s, 'default', m), row(s, 'matmul', m)]),
    row(s, 'gemm', 'fwd'),
    row(s, 'gemm', 'fwd+bwd'),
    row(s, 'naive', 'fwd'),
  ]),
  // 'same' convolutions over time: the default ('window' forward and dx) on every mode, 'tiled' and 'gemm' forward.
  ...[ALT_AUDIO_5, ALT_AUDIO_3, ALT_VISION_3, ALT_VISION_5, LARGE].flatMap((s) => [
    ...MODES.map((m) => row(s, 'default', m)),
    row(s, 'tiled', 'fwd'),
    row(s, 'gemm', 'fwd'),
  ]),
  row(ALT_AUDIO_5, 'gemm', 'fwd+bwd+dx'),
  row(LARGE, 'gemm', 'fwd+bwd+dx'),
  row(ALT_AUDIO_5, 'naive', 'fwd'),
];
