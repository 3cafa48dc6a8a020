// The in-browser half of the benchmark (bench/main.ts drives it through `globalThis.bench`): the matmul ladder
// (bench/ops/matmul.ts), the side-by-side rows against the peers (bench/ops/*.compare.ts: tfjs on WebGPU,
// onnxruntime-web on WebGPU and on wasm, jax-js on WebGPU), and the webgrad-only rows of the other areas listed in
// bench/registry.ts. Each is checked once against its float64 CPU reference, warmed up, then timed (bench/timing.ts).

import * as wg from '../src/index';
import { BENCHES, COMPARE } from './registry';
import type { KernelBenchInstance } from './cases';
import { initOrt, type OrtRuntime } from './peers/ort';
import { initTfjs, type TfjsRuntime } from './peers/tfjs';
import { initJax, type JaxRuntime } from './peers/jax';
import { CPU_GROUPS, initOrtWasm, type OrtWasmRuntime } from './peers/ort-wasm';
import type { ImplName, PeerInstance, PeerName } from './peers/types';
import { LADDER, runLadder } from './ops/matmul';
import { GpuTimer, timeRuns, timestampResolution, type Timing } from './timing';

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

// ------------------------------------------------------------------------------------------- side by side with peers
//
// Every implementation of a row is checked once against the float64 reference, warmed up (which also sizes its runs:
// `inner` back-to-back calls take about targetMs), then timed in interleaved rounds: webgrad, tfjs, ORT, jax,
// webgrad, ..., so that load from elsewhere on the machine falls on all of them alike. Each framework has its own GPUDevice; a run
// ends with that framework's submit and a wait for its queue, and GPU time comes from timestamps on its own queue.

let tfjsRt: TfjsRuntime | null = null;
let ortRt: OrtRuntime | null = null;
let ortWasmRt: OrtWasmRuntime | null = null;
let jaxRt: JaxRuntime | null = null;

/** Where ORT's files are served: ort/ beside the page (Node: the driver sets globalThis.ORT_BASE to a file: URL). */
const ortBase = () =>
  (globalThis as { ORT_BASE?: string }).ORT_BASE ?? new URL('./ort/', globalThis.location?.href).href;

export interface PeerInfo {
  version?: string;
  flags?: Record<string, unknown>;
  timestamps?: boolean;
  adapter?: string;
  error?: string;
}

async function deviceAdapter(device: GPUDevice): Promise<string> {
  const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  return info ? [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' / ') : 'unknown';
}

/** Loads the peers (once); a peer that fails to load is reported and left out. */
async function initPeers(peers: PeerName[]): Promise<Partial<Record<PeerName, PeerInfo>>> {
  const out: Partial<Record<PeerName, PeerInfo>> = {};
  if (peers.includes('tfjs')) {
    try {
      tfjsRt ??= await initTfjs();
      out.tfjs = {
        version: tfjsRt.version,
        flags: tfjsRt.flags,
        timestamps: tfjsRt.device.features.has('timestamp-query'),
        adapter: await deviceAdapter(tfjsRt.device),
      };
    } catch (e) {
      out.tfjs = { error: String((e as Error).stack ?? e) };
    }
  }
  if (peers.includes('ort')) {
    try {
      ortRt ??= await initOrt(ortBase());
      const dev = await ortRt.device();
      out.ort = {
        version: ortRt.version,
        flags: ortRt.flags,
        timestamps: dev.features.has('timestamp-query'),
        adapter: await deviceAdapter(dev),
      };
    } catch (e) {
      out.ort = { error: String((e as Error).stack ?? e) };
    }
  }
  if (peers.includes('jax')) {
    try {
      jaxRt ??= await initJax();
      out.jax = {
        flags: jaxRt.flags,
        timestamps: jaxRt.device.features.has('timestamp-query'),
        adapter: await deviceAdapter(jaxRt.device),
      };
    } catch (e) {
      out.jax = { error: String((e as Error).stack ?? e) };
    }
  }
  if (peers.includes('ort-wasm')) {
    try {
      ortWasmRt ??= await initOrtWasm(ortBase());
      out['ort-wasm'] = {
        version: ortWasmRt.version,
        flags: ortWasmRt.flags,
        timestamps: false,
        adapter: 'CPU (wasm)',
      };
    } catch (e) {
      out['ort-wasm'] = { error: String((e as Error).stack ?? e) };
    }
  }
  return out;
}

interface Runner {
  call(): void | Promise<void>;
  flush(): void;
  sync(): Promise<void>;
  /** The GPU device whose queue the work runs on; none for the CPU column. */
  device?: GPUDevice;
}

/** Wall ms of `inner` back-to-back calls, from an idle queue to the end of the work (and the GPU span in `timer`). */
async function timeBatch(r: Runner, inner: number, timer?: GpuTimer): Promise<number> {
  await r.sync();
  const t0 = performance.now();
  timer?.start();
  for (let i = 0; i < inner; i++) {
    const p = r.call();
    if (p) await p;
  }
  r.flush();
  timer?.stop();
  await r.sync();
  return performance.now() - t0;
}

export interface CompareInfo {
  group: string;
  label: string;
  flops?: number;
  checks: string;
}

export interface ImplResult {
  /** Set when the implementation ran. */
  relErr?: number;
  /** First check, including pipeline/session creation. */
  firstMs?: number;
  inner?: number;
  /** Per call, one entry per round. */
  wallMs?: number[];
  gpuMs?: number[] | null;
  note?: string;
  /** Why this implementation has no result (not implemented by the peer, peer not loaded, or an error). */
  missing?: string;
  error?: string;
}

/** The row being compared: its implementations, set up by compareSetup() and disposed by compareEnd(). */
let current: {
  impls: Map<ImplName, { inst: KernelBenchInstance | PeerInstance; runner: Runner; timer?: GpuTimer; inner: number }>;
} | null = null;

/**
 * Sets up every implementation of comparison row `index` (webgrad and the requested peers that implement it) and
 * returns, per implementation, nothing yet (it is ready) or why it is missing. bench/main.ts then drives the phases
 * one page.evaluate at a time (a slow peer can take a minute a call): compareCheck, compareWarm, compareRound, in
 * interleaved order, then compareEnd.
 */
async function compareSetup(index: number, peers: PeerName[]): Promise<Partial<Record<ImplName, ImplResult>>> {
  await compareEnd();
  const row = COMPARE[index];
  if (!row) throw new Error(`no comparison row ${index}`);
  const rt = wg.runtime();
  const results: Partial<Record<ImplName, ImplResult>> = {};
  const impls = new Map<
    ImplName,
    { inst: KernelBenchInstance | PeerInstance; runner: Runner; timer?: GpuTimer; inner: number }
  >();
  current = { impls };
  const add = (name: ImplName, inst: KernelBenchInstance | PeerInstance, runner: Runner) => {
    impls.set(name, {
      inst,
      runner,
      inner: 1,
      timer: runner.device?.features.has('timestamp-query') ? new GpuTimer(runner.device) : undefined,
    });
    results[name] = { note: (inst as PeerInstance).note };
  };
  try {
    const inst = row.webgrad(wg);
    add('webgrad', inst, {
      call: () => void wg.tidy(() => inst.run()),
      flush: () => rt.flush(),
      sync: () => rt.sync(),
      device: rt.device,
    });
  } catch (e) {
    results.webgrad = { error: String((e as Error).message ?? e).slice(0, 500) };
  }
  if (peers.includes('ort-wasm')) {
    if (!CPU_GROUPS.includes(row.group))
      results['ort-wasm'] = { missing: `CPU column on ${CPU_GROUPS.join(', ')} only` };
    else if (!row.ort) results['ort-wasm'] = { missing: row.missing?.ort ?? 'not implemented for ORT' };
    else if (!ortWasmRt) results['ort-wasm'] = { error: 'onnxruntime-web (wasm) did not load' };
    else {
      try {
        const inst = await row.ort(ortWasmRt.ctx);
        add('ort-wasm', inst, { call: () => inst.run(), flush: () => {}, sync: async () => {} });
      } catch (e) {
        results['ort-wasm'] = { error: String((e as Error).message ?? e).slice(0, 500) };
      }
    }
  }
  for (const peer of ['tfjs', 'ort', 'jax'] as const) {
    if (!peers.includes(peer)) continue;
    if (!row[peer]) {
      results[peer] = { missing: row.missing?.[peer] ?? 'not implemented for this peer' };
      continue;
    }
    try {
      if (peer === 'tfjs') {
        const t = tfjsRt;
        if (!t) throw new Error('tfjs did not load');
        const inst = row.tfjs!(t.tf);
        add('tfjs', inst, { call: () => inst.run(), flush: () => t.flush(), sync: () => t.sync(), device: t.device });
      } else if (peer === 'jax') {
        const j = jaxRt;
        if (!j) throw new Error('@jax-js/jax did not load');
        const inst = row.jax!(j.jax);
        // run() submits the call's kernels (peers/jax.ts); nothing stays recorded, so flush has nothing to do.
        add('jax', inst, { call: () => inst.run(), flush: () => {}, sync: () => j.sync(), device: j.device });
      } else {
        const o = ortRt;
        if (!o) throw new Error('onnxruntime-web did not load');
        const inst = await row.ort!(o.ctx);
        add('ort', inst, { call: () => inst.run(), flush: () => {}, sync: () => o.sync(), device: await o.device() });
      }
    } catch (e) {
      results[peer] = { error: String((e as Error).message ?? e).slice(0, 500) };
    }
  }
  return results;
}

function impl(name: ImplName) {
  const im = current?.impls.get(name);
  if (!im) throw new Error(`${name} is not set up: call compareSetup first`);
  return im;
}

/** Checks one implementation against the float64 reference (its first call: includes pipeline/session creation). */
async function compareCheck(name: ImplName): Promise<{ relErr: number; firstMs: number }> {
  const t0 = performance.now();
  const relErr = await impl(name).inst.check();
  return { relErr, firstMs: performance.now() - t0 };
}

/**
 * Warm-up: one call, which sizes the runs (inner back-to-back calls ≈ targetMs), then one run of that size when it is
 * more than one call. Returns the inner count and the warm single call's ms.
 */
async function compareWarm(name: ImplName, targetMs: number): Promise<{ inner: number; onceMs: number }> {
  const im = impl(name);
  const onceMs = await timeBatch(im.runner, 1);
  im.inner = Math.max(1, Math.min(64, Math.round(targetMs / Math.max(onceMs, 1e-3))));
  if (im.inner > 1) await timeBatch(im.runner, im.inner);
  return { inner: im.inner, onceMs };
}

/** One timed run of `inner` calls: ms per call, wall clock and (where the device has timestamps) GPU. */
async function compareRound(name: ImplName): Promise<{ wallMs: number; gpuMs: number | null }> {
  const im = impl(name);
  const wall = await timeBatch(im.runner, im.inner, im.timer);
  const gpu = im.timer ? await im.timer.elapsedMs() : null;
  return { wallMs: wall / im.inner, gpuMs: gpu === null ? null : gpu / im.inner };
}

async function compareEnd(): Promise<void> {
  if (!current) return;
  for (const im of current.impls.values()) {
    im.timer?.destroy();
    im.inst.dispose();
  }
  current = null;
  await wg.runtime().sync();
}

/** The engine's per-kernel profile of one webgrad call of a comparison row (after one unprofiled call). */
async function profileCompare(index: number): Promise<wg.Profile | null> {
  const rt = wg.runtime() as ReturnType<typeof wg.runtime> & { profile?: unknown };
  if (typeof rt.profile !== 'function') return null;
  const inst = COMPARE[index].webgrad(wg);
  try {
    wg.tidy(() => inst.run());
    await rt.sync();
    return (await rt.profile(() => wg.tidy(() => inst.run()))).profile;
  } finally {
    inst.dispose();
    await rt.sync();
  }
}

const compareRows = (): CompareInfo[] =>
  COMPARE.map(({ group, label, flops, checks }) => ({ group, label, flops, checks }));

const rows = (): KernelBenchInfo[] => BENCHES.map(({ group, label, flops, bytes }) => ({ group, label, flops, bytes }));

const ready = (async () => {
  await wg.init();
  const adapter = wg.adapterInfo();
  return {
    adapter,
    description: wg.describeAdapter(adapter),
    tuning: wg.tuning(),
    kernels: [...wg.MATMUL_KERNELS],
    ladder: LADDER,
  };
})();

/**
 * Makes `profile` the engine's tuning: init({ tuning }) on the same device (no new device, so the peers' and the
 * other profile's numbers come from the same adapter); a no-op when it already is. Returns the active tuning.
 */
async function useTuning(profile: wg.TuningProfile): Promise<wg.Tuning> {
  await ready;
  if (wg.tuning().profile !== profile || !wg.tuning().reason.startsWith('set by')) {
    const device = wg.runtime().device;
    await wg.runtime().sync();
    await wg.init({ device, tuning: profile });
  }
  return wg.tuning();
}

const bench = {
  ready,
  useTuning,
  timestampResolution: async () => timestampResolution(wg.runtime().device),
  runLadder,
  rows,
  runRow,
  initPeers,
  compareRows,
  compareSetup,
  compareCheck,
  compareWarm,
  compareRound,
  compareEnd,
  profileCompare,
};
(globalThis as unknown as { bench: typeof bench }).bench = bench;
export type Bench = typeof bench;
