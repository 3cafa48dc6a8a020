// Timing on the page, shared by the ladder and the rows: a run records `inner` back-to-back calls through the engine
// (batched into one submit as usual) and waits for onSubmittedWorkDone; wall clock covers the whole run. When the
// adapter has timestamp-query, an empty compute pass before and after the run writes GPU timestamps, so the GPU time
// of the same span is reported alongside.

import * as wg from '../src/index';

const MAP_READ = 0x0001;
const COPY_DST = 0x0008;
const COPY_SRC = 0x0004;
const QUERY_RESOLVE = 0x0200;

/** Two GPU timestamps around a span of submitted work, written by empty compute passes. */
export class GpuTimer {
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

export interface Timing {
  inner: number;
  /** Per call, one entry per timed run. */
  wallMs: number[];
  gpuMs: number[] | null;
}

/**
 * Times `record`, which records one call into the engine (tensors it makes are disposed here): a warm-up sizes the
 * runs so that `inner` calls take about targetMs, then `runs` timed runs of `inner` back-to-back calls.
 */
export async function timeRuns(record: () => void, runs: number, targetMs: number): Promise<Timing> {
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

/**
 * How finely this device's timestamps resolve: 64 timestamps written by empty compute passes submitted one by one,
 * read back raw. Browsers quantize them (Chrome: to 100 µs) unless started to allow precise timing (main.ts passes
 * the flags): `quantumNs` is the largest power-of-two multiple of 1 ns dividing every value, `stepNs` the smallest
 * non-zero gap between consecutive ones. Quantized timestamps show a large quantum and a step of the same size.
 */
export async function timestampResolution(device: GPUDevice): Promise<{ quantumNs: number; stepNs: number } | null> {
  if (!device.features.has('timestamp-query')) return null;
  const n = 64;
  const querySet = device.createQuerySet({ type: 'timestamp', count: n });
  const resolve = device.createBuffer({ size: 8 * n, usage: QUERY_RESOLVE | COPY_SRC });
  const read = device.createBuffer({ size: 8 * n, usage: MAP_READ | COPY_DST });
  for (let i = 0; i < n; i++) {
    const enc = device.createCommandEncoder();
    enc.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: i } }).end();
    if (i === n - 1) {
      enc.resolveQuerySet(querySet, 0, n, resolve, 0);
      enc.copyBufferToBuffer(resolve, 0, read, 0, 8 * n);
    }
    device.queue.submit([enc.finish()]);
  }
  await read.mapAsync(MAP_READ);
  const t = [...new BigUint64Array(read.getMappedRange().slice(0))];
  read.unmap();
  for (const b of [querySet, resolve, read]) b.destroy();
  let quantum = 1n << 40n;
  for (const v of t) while (quantum > 1n && v % quantum !== 0n) quantum >>= 1n;
  let step = Infinity;
  for (let i = 1; i < n; i++) if (t[i] > t[i - 1]) step = Math.min(step, Number(t[i] - t[i - 1]));
  return { quantumNs: Number(quantum), stepNs: step };
}
