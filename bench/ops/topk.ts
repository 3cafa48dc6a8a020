// Benchmark rows for DERL's top-k router gate (src/engine/ops/topk.ts) at router shapes: DERL small routes 3 modalities × a
// batch of 64 over a pool of 4 shared experts (top-2), and a wider pool (16 experts, top-4) at a larger batch, forward
// and forward + backward (backward = softmax's kernel on the saved gates). Memory-bound: reported in GB/s.

import type * as wgType from '../../src/index';
import type { KernelBench } from '../cases';
import { refTopkSoftmax } from '../../src/engine/ops/topk.reference';
import { randomData } from '../random-data';

type Wg = typeof wgType;

function topkBench(rows: number, C: number, k: number, backward: boolean): KernelBench {
  const n = rows * C;
  return {
    group: 'topkSoftmax',
    label: `rows=${rows} C=${C} k=${k}, ${backward ? 'fwd+bwd' : 'fwd'}`,
    bytes: (backward ? 5 : 2) * 4 * n, //   fwd: x, y; bwd: y, gy, gx
    setup(w: Wg) {
      const host = randomData(n, 7 + C, -2, 2);
      const x = w.tensor(host, [rows, C], { requiresGrad: backward }).keep();
      return {
        run() {
          const y = w.topkSoftmax(x, k);
          if (!backward) return;
          y.backward(w.ones([rows, C]));
          x.grad?.dispose();
          x.grad = null;
        },
        async check() {
          const y = w.noGrad(() => w.topkSoftmax(x, k));
          const got = await y.toArray();
          y.dispose();
          const want = refTopkSoftmax(host, [rows, C], k).data;
          let err = 0;
          let scale = 0;
          for (let i = 0; i < n; i++) {
            err = Math.max(err, Math.abs(got[i] - want[i]));
            scale = Math.max(scale, Math.abs(want[i]));
          }
          return err / scale;
        },
        dispose() {
          x.grad?.dispose();
          x.dispose();
        },
      };
    },
  };
}

export const BENCHES: KernelBench[] = [
  topkBench(3 * 64, 4, 2, false),
  topkBench(3 * 64, 4, 2, true),
  topkBench(3 * 1024, 16, 4, false),
  topkBench(3 * 1024, 16, 4, true),
];
