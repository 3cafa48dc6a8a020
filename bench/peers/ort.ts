// The onnxruntime-web peer on its WebGPU execution provider. Its JavaScript and .wasm files are served by the
// bench's own 127.0.0.1 server from node_modules/onnxruntime-web/dist (bench/run.mjs links them into the page's
// directory under ort/), and loaded here with a run-time import, so nothing comes from a CDN.
//
// Every graph is a small ONNX model written in code (bench/peers/onnx-graph.ts). Inputs live in GPU buffers of ORT's
// device and outputs stay on the GPU (preferredOutputLocation 'gpu-buffer'), so a timed call is the session's run with
// no upload or readback; sync() waits for ORT's queue. A session is first created with CPU fallback disabled; when
// that fails (an op with no WebGPU kernel), it is created again with fallback and the row says so. (ORT 1.30 runs
// every op of the rows here on WebGPU, LSTM included; its JS provider of earlier versions had no LSTM.)

import type * as OrtType from 'onnxruntime-web/webgpu';
import { onnxModel, type GraphSpec } from './onnx-graph';
import type { PeerInstance } from './types';
import { maxRelErr } from './types';

export type Ort = typeof OrtType;

const STORAGE = 0x0080;
const COPY_SRC = 0x0004;
const COPY_DST = 0x0008;

export interface OrtContext {
  ort: Ort;
  /** Creates a session for the graph on the WebGPU provider (see the top of this file). */
  session(g: GraphSpec): Promise<{ session: OrtType.InferenceSession; cpuFallback: boolean }>;
  /** A float32 ORT tensor in a GPU buffer of ORT's device, holding `data`. */
  gpuTensor(data: Float32Array, dims: number[]): OrtType.Tensor;
  device(): Promise<GPUDevice>;
}

export interface OrtRuntime {
  ctx: OrtContext;
  version: string;
  /** ORT's device (known once the first session exists). */
  device(): Promise<GPUDevice>;
  sync(): Promise<void>;
  flags: Record<string, unknown>;
}

/** Loads ORT from `base` (a URL ending in '/', where ort.webgpu.min.mjs and its .wasm files are served). */
export async function initOrt(base: string): Promise<OrtRuntime> {
  const ort = (await import(/* runtime URL, not bundled */ `${base}ort.webgpu.min.mjs`)) as Ort;
  ort.env.wasm.wasmPaths = base;
  ort.env.logLevel = 'error';
  let dev: GPUDevice | null = null;
  const device = async () => (dev ??= (await ort.env.webgpu.device) as GPUDevice);

  const create = (bytes: Uint8Array, fallback: boolean) =>
    ort.InferenceSession.create(bytes, {
      executionProviders: ['webgpu'],
      graphOptimizationLevel: 'all',
      preferredOutputLocation: 'gpu-buffer',
      logSeverityLevel: 3,
      ...(fallback ? {} : { extra: { session: { disable_cpu_ep_fallback: '1' } } }),
    });

  const ctx: OrtContext = {
    ort,
    async session(g) {
      const bytes = onnxModel(g);
      try {
        return { session: await create(bytes, false), cpuFallback: false };
      } catch {
        return { session: await create(bytes, true), cpuFallback: true };
      }
    },
    gpuTensor(data, dims) {
      if (!dev) throw new Error('ORT device not ready: create a session first');
      const buf = dev.createBuffer({
        size: Math.max(16, Math.ceil(data.byteLength / 16) * 16),
        usage: STORAGE | COPY_SRC | COPY_DST,
      });
      dev.queue.writeBuffer(buf, 0, data as Float32Array<ArrayBuffer>);
      return ort.Tensor.fromGpuBuffer(buf, { dataType: 'float32', dims, dispose: () => buf.destroy() });
    },
    device,
  };
  // A trivial session, created first and never released: ORT's WebGPU provider shares one device among live sessions
  // and destroys it when the last one is released, so this keeps the device (the one env.webgpu.device reports, in
  // which gpuTensor() allocates) alive across the rows' sessions.
  await ctx.session({
    inputs: [['x', [4]]],
    outputs: [['y', [4]]],
    nodes: [{ op: 'Neg', inputs: ['x'], outputs: ['y'] }],
  });
  await device();
  return {
    ctx,
    version: ort.env.versions?.web ?? 'unknown',
    device,
    async sync() {
      await (await device()).queue.onSubmittedWorkDone();
    },
    flags: {
      numThreads: ort.env.wasm.numThreads ?? 'default',
      graphOptimizationLevel: 'all',
      preferredOutputLocation: 'gpu-buffer',
    },
  };
}

/**
 * An ORT computation: the graph, its inputs (name → data, dims, uploaded once), the output(s) check() reads and maps
 * back to the reference layout with `unpack`, and the float64 reference `want()`.
 */
export async function ortInstance(
  ctx: OrtContext,
  g: GraphSpec,
  feeds: [string, Float32Array, number[]][],
  opts: { unpack?: (got: Float32Array[]) => Float32Array[]; want: () => Float64Array[] },
): Promise<PeerInstance> {
  const { session, cpuFallback } = await ctx.session(g);
  const inputs: Record<string, OrtType.Tensor> = {};
  for (const [name, data, dims] of feeds) inputs[name] = ctx.gpuTensor(data, dims);
  const outNames = g.outputs.map(([n]) => n);
  const runOnce = async () => session.run(inputs);
  return {
    async run() {
      const out = await runOnce();
      for (const t of Object.values(out)) t.dispose();
    },
    async check() {
      const out = await runOnce();
      const got = await Promise.all(
        outNames.map(async (n) => Float32Array.from((await out[n].getData()) as Float32Array)),
      );
      for (const t of Object.values(out)) t.dispose();
      return maxRelErr(opts.unpack ? opts.unpack(got) : got, opts.want());
    },
    dispose() {
      for (const t of Object.values(inputs)) t.dispose();
      void session.release();
    },
    note: cpuFallback ? 'some ops of this graph have no ORT WebGPU kernel and run on its wasm CPU provider' : undefined,
  };
}
