// The matmul rung ladder: every matmul kernel (naive, tiled) at 512³ and at the shapes of DAR's Linear layers, forward
// and both gradients, in GFLOP/s. The page half: the cases, their inputs and float64 reference, and one timed case;
// bench/main.ts prints the table. The rows beside tfjs and onnxruntime-web are in matmul.compare.ts.

import * as wg from '../../src/index';
import { matmulRef } from '../../src/engine/ops/matmul.reference';
import { randomData } from '../random-data';
import { timeRuns } from '../timing';

export interface BenchCase {
  label: string;
  /** op(a) is M×K, op(b) is K×N; a is stored (K,M) with transA, b (N,K) with transB. */
  M: number;
  K: number;
  N: number;
  transA?: boolean;
  transB?: boolean;
}

export interface BenchResult {
  /** Max |gpu − reference| and max |reference| over the whole output. */
  maxErr: number;
  scale: number;
  /** First call, including pipeline creation. */
  firstMs: number;
  inner: number;
  /** Per matmul, one entry per timed run. */
  wallMs: number[];
  gpuMs: number[] | null;
}

// The model's Linear layers see 64 sequences × 8 steps = 512 rows; hidden sizes 128 and 512.
export const LADDER: BenchCase[] = [
  { label: '512×512 · 512×512', M: 512, K: 512, N: 512 },
  { label: 'Linear 128→512  Y  = X·W     512×128 · 128×512', M: 512, K: 128, N: 512 },
  { label: 'Linear 128→512  dX = dY·Wᵀ   512×512 · (128×512)ᵀ', M: 512, K: 512, N: 128, transB: true },
  { label: 'Linear 128→512  dW = Xᵀ·dY   (512×128)ᵀ · 512×512', M: 128, K: 512, N: 512, transA: true },
  { label: 'Linear 512→128  Y  = X·W     512×512 · 512×128', M: 512, K: 512, N: 128 },
  { label: 'Linear 512→128  dX = dY·Wᵀ   512×128 · (512×128)ᵀ', M: 512, K: 128, N: 512, transB: true },
  { label: 'Linear 512→128  dW = Xᵀ·dY   (512×512)ᵀ · 512×128', M: 512, K: 512, N: 128, transA: true },
];

interface Inputs {
  a: Float32Array;
  b: Float32Array;
  aShape: number[];
  bShape: number[];
  ref: Float64Array;
}
const inputs = new Map<string, Inputs>();

/** Inputs and float64 reference for a case, computed once and shared by every kernel. */
function inputsFor(c: BenchCase): Inputs {
  const key = JSON.stringify([c.M, c.K, c.N, !!c.transA, !!c.transB]);
  let x = inputs.get(key);
  if (!x) {
    const aShape = c.transA ? [c.K, c.M] : [c.M, c.K];
    const bShape = c.transB ? [c.N, c.K] : [c.K, c.N];
    const a = randomData(c.M * c.K, 1);
    const b = randomData(c.K * c.N, 2);
    const ref = matmulRef(a, aShape, b, bShape, { transA: c.transA, transB: c.transB }).data;
    inputs.set(key, (x = { a, b, aShape, bShape, ref }));
  }
  return x;
}

/** Checks, then times, ladder case `index` with one matmul kernel (bench/main.ts prints the table). */
export async function runLadder(
  kernel: wg.MatmulKernel,
  index: number,
  runs: number,
  targetMs: number,
): Promise<BenchResult> {
  const c = LADDER[index];
  if (!c) throw new Error(`no ladder case ${index}`);
  const x = inputsFor(c);
  const opts: wg.MatmulOptions = { transA: c.transA, transB: c.transB, kernel };
  return wg.tidyAsync(async () => {
    const a = wg.tensor(x.a, x.aShape);
    const b = wg.tensor(x.b, x.bShape);
    await wg.runtime().sync();

    // Check once (this first call also creates the pipeline).
    const t0 = performance.now();
    const y = wg.matmul(a, b, opts);
    const got = await y.toArray();
    const firstMs = performance.now() - t0;
    y.dispose();
    let maxErr = 0;
    let scale = 0;
    for (let i = 0; i < x.ref.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(got[i] - x.ref[i]));
      scale = Math.max(scale, Math.abs(x.ref[i]));
    }
    const timing = await timeRuns(() => void wg.matmul(a, b, opts), runs, targetMs);
    return { maxErr, scale, firstMs, ...timing };
  });
}
