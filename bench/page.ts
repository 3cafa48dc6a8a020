// The in-browser half of the benchmark (bench/main.ts drives it through `globalThis.bench`): the matmul ladder, then
// the rows of the other areas listed in bench/registry.ts.
//
// For one kernel and one shape: check the result once against the float64 CPU reference, warm up, then time several
// runs. A run records `inner` back-to-back matmuls through the engine (batched into one submit as usual) and waits
// for onSubmittedWorkDone; wall clock covers the whole run. When the adapter has timestamp-query, an empty compute
// pass before and after the run writes GPU timestamps, so the GPU time of the same span is reported alongside.

import * as wg from '../src/index';
import { matmulRef } from '../src/reference/matmul';
import { BENCHES } from './registry';

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

const MAP_READ = 0x0001;
const COPY_DST = 0x0008;
const COPY_SRC = 0x0004;
const QUERY_RESOLVE = 0x0200;

/** Two GPU timestamps around a span of submitted work, written by empty compute passes. */
class GpuTimer {
  private querySet: GPUQuerySet;
  private resolve: GPUBuffer;
  private read: GPUBuffer;
  constructor(private device: GPUDevice) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: 2 });
    this.resolve = device.createBuffer({ size: 16, usage: QUERY_RESOLVE | COPY_SRC });
    this.read = device.createBuffer({ size: 16, usage: MAP_READ | COPY_DST });
  }
  private mark(index: number, last: boolean): void {
    const enc = this.device.createCommandEncoder();
    enc.beginComputePass({ timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: index } }).end();
    if (last) {
      enc.resolveQuerySet(this.querySet, 0, 2, this.resolve, 0);
      enc.copyBufferToBuffer(this.resolve, 0, this.read, 0, 16);
    }
    this.device.queue.submit([enc.finish()]);
  }
  start(): void {
    this.mark(0, false);
  }
  stop(): void {
    this.mark(1, true);
  }
  /** Milliseconds between start() and stop(); call after the work has completed. */
  async elapsedMs(): Promise<number> {
    await this.read.mapAsync(MAP_READ);
    const t = new BigUint64Array(this.read.getMappedRange().slice(0));
    this.read.unmap();
    return Number(t[1] - t[0]) / 1e6;
  }
  destroy(): void {
    this.querySet.destroy();
    this.resolve.destroy();
    this.read.destroy();
  }
}

/** Deterministic inputs in [-1, 1) (mulberry32), so every kernel sees the same data. */
function randomData(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

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

interface Timing {
  inner: number;
  /** Per call, one entry per timed run. */
  wallMs: number[];
  gpuMs: number[] | null;
}

/**
 * Times `record`, which records one call into the engine (tensors it makes are disposed here): a warm-up sizes the
 * runs so that `inner` calls take about targetMs, then `runs` timed runs of `inner` back-to-back calls.
 */
async function timeRuns(record: () => void, runs: number, targetMs: number): Promise<Timing> {
  const rt = wg.runtime();
  const batch = async (inner: number, timer?: GpuTimer): Promise<number> => {
    await rt.sync();
    const t0 = performance.now();
    timer?.start();
    wg.tidy(() => {
      for (let i = 0; i < inner; i++) record();
    });
    rt.flush();
    timer?.stop();
    await rt.sync();
    return performance.now() - t0;
  };
  const once = await batch(1);
  const inner = Math.max(1, Math.min(64, Math.round(targetMs / once)));
  await batch(inner);

  const timer = rt.adapter.features.includes('timestamp-query') ? new GpuTimer(rt.device) : undefined;
  const wallMs: number[] = [];
  const gpuMs: number[] = [];
  for (let r = 0; r < runs; r++) {
    wallMs.push((await batch(inner, timer)) / inner);
    if (timer) gpuMs.push((await timer.elapsedMs()) / inner);
  }
  timer?.destroy();
  return { inner, wallMs, gpuMs: timer ? gpuMs : null };
}

async function run(kernel: wg.MatmulKernel, c: BenchCase, runs: number, targetMs: number): Promise<BenchResult> {
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

export interface KernelBenchInfo {
  group: string;
  label: string;
  flops?: number;
  bytes?: number;
}

export interface KernelBenchResult extends Timing {
  /** max|got − want| / max|want| against the float64 reference. */
  relErr: number;
  firstMs: number;
}

/** One row of bench/registry.ts: set up, check once, time, dispose. */
async function runRow(index: number, runs: number, targetMs: number): Promise<KernelBenchResult> {
  const row = BENCHES[index];
  if (!row) throw new Error(`no benchmark row ${index}`);
  const inst = row.setup(wg);
  try {
    const t0 = performance.now();
    const relErr = await inst.check();
    const firstMs = performance.now() - t0;
    return { relErr, firstMs, ...(await timeRuns(() => inst.run(), runs, targetMs)) };
  } finally {
    inst.dispose();
  }
}

const rows = (): KernelBenchInfo[] => BENCHES.map(({ group, label, flops, bytes }) => ({ group, label, flops, bytes }));

const ready = (async () => {
  await wg.init();
  const adapter = wg.adapterInfo();
  return { adapter, description: wg.describeAdapter(adapter), kernels: [...wg.MATMUL_KERNELS] };
})();

const bench = { ready, run, rows, runRow };
(globalThis as unknown as { bench: typeof bench }).bench = bench;
export type Bench = typeof bench;
