// The jax-js peer: @jax-js/jax (JAX's API in TypeScript: numpy, lax, nn, vjp, jit) on its WebGPU backend, bundled
// into the bench page. It runs where the page has WebGPU: Chromium (SwiftShader included), and Node under --runtime
// node, where bench/node-page.ts gives it Dawn's navigator.gpu (its README lists Node as wasm-only: Node has no
// navigator.gpu of its own).
//
// When the work is done. jax-js is lazy: an op records a pending kernel and nothing reaches the GPU until an output is
// realized; disposing an unrealized output drops its kernels unrun. So a timed call ends by realizing every output with
// gpuBuffer(), which compiles (first call only) and submits each pending kernel to jax-js's own device — one command
// buffer per kernel, no readback — and releases the output. sync() then waits for that device's queue: the same
// end-of-run wait webgrad, tfjs and ORT get, so the timed region holds the GPU work of every call.
//
// How a row is written: as a JAX user writes a step — the row's function wrapped in jit() (traced once per shape,
// elementwise work fused into kernels); a backward row runs vjp() of it with the row's output gradient, inside that
// jit. jax-js functions consume their arguments (reference counting), so the inputs are kept for the instance's life
// and passed as `.ref`.

import * as jax from '@jax-js/jax';
import type { PeerInstance } from './types';
import { maxRelErr } from './types';

export type Jax = typeof jax;
export type JArray = jax.Array;

export interface JaxRuntime {
  jax: Jax;
  device: GPUDevice;
  /** Waits until jax-js's device has finished the work submitted so far. */
  sync(): Promise<void>;
  flags: Record<string, unknown>;
}

export async function initJax(): Promise<JaxRuntime> {
  const got = await jax.init('webgpu');
  if (!got.includes('webgpu')) {
    const why = 'gpu' in navigator ? 'no adapter or device granted' : 'no navigator.gpu';
    throw new Error(`@jax-js/jax: its WebGPU backend did not start (${why})`);
  }
  jax.defaultDevice('webgpu');
  const device = jax.getWebGPUDevice();
  return {
    jax,
    device,
    sync: () => device.queue.onSubmittedWorkDone(),
    flags: { device: 'webgpu', jit: 'every row', shaderF16: device.features.has('shader-f16') },
  };
}

export interface JaxInput {
  data: Float32Array;
  shape: number[];
  /** Differentiate with respect to this input (backward rows). */
  grad?: boolean;
}

/**
 * A jax-js computation over `inputs`: forward only, or with `gy` forward + backward through vjp (gradients of the
 * inputs marked `grad`), jit-compiled. check() reads the output (forward) or the gradients (backward; or the forward
 * output when `checkForward` is set) and maps them back to the reference layout with `unpack` before comparing.
 */
export function jaxInstance(
  jx: Jax,
  inputs: JaxInput[],
  fwd: (xs: JArray[]) => JArray,
  opts: {
    gy?: { data: Float32Array; shape: number[] };
    unpack?: (got: Float32Array[]) => Float32Array[];
    want: () => Float64Array[];
    checkForward?: boolean;
  },
): PeerInstance {
  const np = jx.numpy;
  const xs = inputs.map((i) => np.array(i.data, { shape: i.shape }));
  const gy = opts.gy ? np.array(opts.gy.data, { shape: opts.gy.shape }) : null;
  const gi = inputs.map((x, i) => (x.grad ? i : -1)).filter((i) => i >= 0);
  const forward = jx.jit((...a: JArray[]) => fwd(a));
  // (x₀ … xₙ₋₁, gy) → the gradients of the graded inputs. Each tracer is used once: the graded ones as vjp's primals,
  // the others inside f (the ownership rule of jax-js).
  const backward = jx.jit((...a: JArray[]): JArray[] => {
    const g = a.pop()!;
    const f = (...vs: JArray[]) => fwd(a.map((x, i) => (gi.includes(i) ? vs[gi.indexOf(i)] : x)));
    const [y, back] = jx.vjp(
      f,
      gi.map((i) => a[i]),
    );
    y.dispose();
    const grads = back(g) as JArray[];
    back.dispose();
    return grads;
  });
  const call = (): JArray[] => (gy ? backward(...xs.map((x) => x.ref), gy.ref) : [forward(...xs.map((x) => x.ref))]);
  const read = (outs: JArray[]) => Promise.all(outs.map(async (o) => Float32Array.from(await o.data())));
  return {
    async run() {
      await Promise.all(call().map((o) => o.gpuBuffer()));
    },
    async check() {
      // A backward row checked on its forward output runs its backward once too (the first call compiles kernels).
      if (gy && opts.checkForward) await read(call());
      const got = await read(opts.checkForward || !gy ? [forward(...xs.map((x) => x.ref))] : call());
      return maxRelErr(opts.unpack ? opts.unpack(got) : got, opts.want());
    },
    dispose() {
      for (const x of xs) x.dispose();
      gy?.dispose();
      forward.dispose();
      backward.dispose();
    },
  };
}
