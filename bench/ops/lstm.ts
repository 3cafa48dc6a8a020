// Benchmark rows for lstm(): the BiLSTM of DAR's CLUB estimator (docs/models.md §6.4: B = 64 sequences, T = 8 steps,
// d = 128 features in, hidden d/2 = 64 per direction), forward and forward + backward, on every recurrence kernel; then
// one longer sequence (T = 128) on the tiled rungs and 'gemm'. Each call is the whole op as a model uses it: the input
// projection matmul, the recurrence, and for backward BPTT plus the weight-gradient matmuls. Steps per second = T /
// time.

import type * as wgType from '../../src/index';
import type { LstmKernel } from '../../src/engine/ops/lstm';
import { refLstm } from '../../src/engine/ops/lstm.reference';
import type { KernelBench, KernelBenchInstance } from '../cases';
import { randomData } from '../random-data';

interface Shape {
  B: number;
  T: number;
  I: number;
  H: number;
}

/**
 * Multiply-adds ×2 of one bidirectional call: the input projection 2·B·T·I·2·4H and the recurrence 2·B·T·2·4H·H
 * forward; backward repeats the recurrence (dh = dG·W_hh) and adds three products the size of the projection or the
 * recurrence (dW_ih, dx; dW_hh).
 */
function flops({ B, T, I, H }: Shape, backward: boolean): number {
  const proj = 2 * B * T * I * 2 * 4 * H;
  const rec = 2 * B * T * 2 * 4 * H * H;
  return backward ? 3 * proj + 3 * rec : proj + rec;
}

function row(s: Shape, kernel: LstmKernel, backward: boolean): KernelBench {
  const { B, T, I, H } = s;
  return {
    group: 'bilstm',
    label: `BiLSTM B=${B} T=${T} I=${I} H=${H}×2 ${kernel}, ${backward ? 'fwd+bwd' : 'fwd'}`,
    flops: flops(s, backward),
    setup(w: typeof wgType): KernelBenchInstance {
      const xData = randomData(B * T * I, 1);
      const x = w.tensor(xData, [B, T, I]);
      const m = new w.BiLSTM(I, H, { seed: 1, kernel });
      const gOut = w.tensor(randomData(B * T * 2 * H, 2), [B, T, 2 * H]);
      return {
        run() {
          if (!backward) {
            w.noGrad(() => m.forward(x));
            return;
          }
          m.forward(x).output.backward(gOut); // every weight gets its gradient (x needs none)
          m.zeroGrad();
        },
        async check() {
          const got = await w.tidyAsync(async () => w.noGrad(() => m.forward(x)).output.toArray());
          const weights = await Promise.all(m.flatWeights().map((t) => t.toArray()));
          const want = refLstm(xData, [B, T, I], weights, { hidden: H, bidirectional: true }).output.data;
          let err = 0;
          let scale = 0;
          for (let i = 0; i < want.length; i++) {
            err = Math.max(err, Math.abs(got[i] - want[i]));
            scale = Math.max(scale, Math.abs(want[i]));
          }
          return err / scale;
        },
        dispose() {
          m.dispose();
          x.dispose();
          gOut.dispose();
        },
      };
    },
  };
}

const CLUB: Shape = { B: 64, T: 8, I: 128, H: 64 };
const LONG: Shape = { B: 64, T: 128, I: 128, H: 64 };
// 'gemm' is the GPU profile's rung at these shapes (B·H = 4096); on SwiftShader it is expected to be slower.
const KERNELS: LstmKernel[] = ['naive', 'tiled', 'looped', 'gemm'];

export const BENCHES: KernelBench[] = [
  ...KERNELS.map((k) => row(CLUB, k, false)),
  ...KERNELS.map((k) => row(CLUB, k, true)),
  ...(['tiled', 'looped', 'gemm'] as const).flatMap((k) => [row(LONG, k, false), row(LONG, k, true)]),
];
