// Benchmark rows for the row ops' rungs (src/engine/ops/rows.ts) and permute's (src/engine/ops/shape.ts): each shape
// once per rung — 'serial' (the cpu profile's), 'workgroup' and 'subgroup' (the gpu profile's; subgroup rows need the
// device's subgroups feature) — so one run prints them side by side on one adapter. Forward + backward for softmax
// and layerNorm, forward for the reductions and permute. Memory-bound: reported in GB/s.
//   npm run bench -- --only areas --groups rows --quick

import type * as wgType from '../../src/index';
import type { KernelBench } from '../cases';
import { refSoftmax } from '../../src/engine/ops/softmax.reference';
import { refLayerNorm } from '../../src/engine/ops/layernorm.reference';
import { refMax, refSum } from '../../src/engine/ops/reduce.reference';
import { permuteRef } from '../../src/engine/ops/shape.reference';
import { randomData } from '../random-data';

type Wg = typeof wgType;
type Op = 'softmax' | 'layerNorm' | 'sum' | 'max' | 'transpose';
type Rung = wgType.RowKernel | wgType.PermuteKernel;

const RUNGS: Record<Op, Rung[]> = {
  softmax: ['serial', 'workgroup', 'subgroup'],
  layerNorm: ['serial', 'workgroup', 'subgroup'],
  sum: ['serial', 'workgroup', 'subgroup'],
  max: ['serial', 'workgroup', 'subgroup'],
  transpose: ['strided', 'tiled'],
};

/** The op on x with one rung; forward + backward for softmax and layerNorm. */
function call(w: Wg, op: Op, x: wgType.Tensor, kernel: Rung): wgType.Tensor {
  const k = { kernel } as never; // the rung names of the op's own family (RUNGS)
  if (op === 'softmax') return w.softmax(x, -1, k);
  if (op === 'layerNorm') return w.layerNorm(x, null, null, 1e-5, undefined, k);
  if (op === 'sum') return w.sum(x, -1, false, k);
  if (op === 'max') return w.max(x, -1, false, k);
  return w.transpose(x, 0, 1, k);
}

function reference(op: Op, x: Float64Array, shape: number[]): Float64Array {
  if (op === 'softmax') return refSoftmax(x, shape).data;
  if (op === 'layerNorm') return refLayerNorm(x, shape).data;
  if (op === 'sum') return refSum(x, shape, -1).data;
  if (op === 'max') return refMax(x, shape, -1).data;
  return permuteRef(x, shape, [1, 0]).data;
}

function rowBench(op: Op, rows: number, c: number, kernel: Rung): KernelBench {
  const n = rows * c;
  const backward = op === 'softmax' || op === 'layerNorm';
  return {
    group: 'rows',
    label: `${op} rows=${rows} C=${c} ${kernel}, ${backward ? 'fwd+bwd' : 'fwd'}`,
    bytes: (backward ? 5 : op === 'transpose' ? 2 : 1) * 4 * n,
    setup(w: Wg) {
      const host = randomData(n, 11 + c, -2, 2);
      const x = w.tensor(host, [rows, c], { requiresGrad: backward }).keep();
      const gy = backward ? w.tensor(randomData(n, 13 + c, -1, 1), [rows, c]).keep() : null;
      return {
        run() {
          const y = call(w, op, x, kernel);
          if (!gy) return;
          y.backward(gy);
          x.grad?.dispose();
          x.grad = null;
        },
        async check() {
          const y = w.noGrad(() => call(w, op, x, kernel));
          const got = await y.toArray();
          y.dispose();
          const want = reference(op, Float64Array.from(host), [rows, c]);
          let err = 0;
          let scale = 0;
          want.forEach((v, i) => {
            err = Math.max(err, Math.abs(got[i] - v));
            scale = Math.max(scale, Math.abs(v));
          });
          return err / scale;
        },
        dispose() {
          x.grad?.dispose();
          x.dispose();
          gy?.dispose();
        },
      };
    },
  };
}

// DAR-sized rows (hidden 128, 64 × 50 tokens), a vocabulary-sized softmax row (few long rows), and a square transpose.
const SIZES: Record<Op, [number, number][]> = {
  softmax: [
    [3200, 128],
    [64, 4096],
    [4, 32768],
  ],
  layerNorm: [
    [3200, 128],
    [64, 4096],
  ],
  sum: [
    [3200, 128],
    [64, 4096],
  ],
  max: [[64, 4096]],
  transpose: [
    [256, 256],
    [1024, 1024],
  ],
};

export const BENCHES: KernelBench[] = (Object.keys(SIZES) as Op[]).flatMap((op) =>
  SIZES[op].flatMap(([rows, c]) => RUNGS[op].map((k) => rowBench(op, rows, c, k))),
);
