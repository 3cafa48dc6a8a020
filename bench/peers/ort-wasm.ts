// The CPU column: what a user without a usable GPU would run instead of webgrad — onnxruntime-web on its wasm
// backend, with SIMD and threads. It reuses the rows' ORT graphs (bench/ops/*.compare.ts `ort`) through an
// OrtContext whose sessions run on the 'wasm' provider and whose inputs are plain CPU tensors.
//
// It loads ort.wasm.min.mjs, a module separate from the WebGPU peer's ort.webgpu.min.mjs, so its env (thread count)
// is its own. Threads need SharedArrayBuffer, which needs a cross-origin isolated page: the bench's server sends
// COOP/COEP (src/app/node/server.ts). ORT silently falls back to one thread when the page is not isolated, so
// initOrtWasm() reads the settings back after the first session and reports what actually took effect.

import type { OrtContext, Ort } from './ort';
import { onnxModel } from './onnx-graph';

/** The row groups that get a CPU column (the matmul, conv1d and attention rows). */
export const CPU_GROUPS = ['matmul', 'conv1d', 'attention'];

export interface OrtWasmRuntime {
  ctx: OrtContext;
  version: string;
  flags: Record<string, unknown>;
}

/** Loads ORT's wasm build from `base` and asks for one thread per core (its own default is half the cores, ≤ 4). */
export async function initOrtWasm(base: string): Promise<OrtWasmRuntime> {
  // In Node (--runtime node) ORT's Node build: the browser build fetches its threaded module by URL, which Node's
  // fetch cannot do for file: URLs.
  const file = 'location' in globalThis ? 'ort.wasm.min.mjs' : 'ort.node.min.mjs';
  const ort = (await import(/* runtime URL, not bundled */ `${base}${file}`)) as Ort;
  ort.env.wasm.wasmPaths = base;
  ort.env.logLevel = 'error';
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  ort.env.wasm.numThreads = cores;
  const ctx: OrtContext = {
    ort,
    async session(g) {
      const session = await ort.InferenceSession.create(onnxModel(g), {
        executionProviders: ['wasm'],
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
      });
      return { session, cpuFallback: false };
    },
    gpuTensor: (data, dims) => new ort.Tensor('float32', data, dims),
    device: () => Promise.reject(new Error('the ORT wasm peer has no GPU device')),
  };
  // A first session initialises the wasm module (and its thread pool); only then do the settings below mean anything.
  await ctx.session({
    inputs: [['x', [4]]],
    outputs: [['y', [4]]],
    nodes: [{ op: 'Neg', inputs: ['x'], outputs: ['y'] }],
  });
  // In Node (--runtime node) there is no cross-origin isolation to ask for: worker threads share memory as they are.
  const inBrowser = 'location' in globalThis;
  const isolated = inBrowser
    ? ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated ?? false)
    : 'n/a (Node)';
  const threads = ort.env.wasm.numThreads ?? 1;
  if (cores > 1 && (isolated === false || threads !== cores)) {
    throw new Error(
      `ORT wasm threads did not take effect: crossOriginIsolated=${isolated}, numThreads=${threads} of ${cores} cores`,
    );
  }
  return {
    ctx,
    version: ort.env.versions?.web ?? 'unknown',
    flags: {
      backend: 'wasm (SIMD)',
      numThreads: threads,
      cores,
      crossOriginIsolated: isolated,
      sharedArrayBuffer: typeof SharedArrayBuffer !== 'undefined',
      graphOptimizationLevel: 'all',
    },
  };
}
