// The TensorFlow.js peer: @tensorflow/tfjs on @tensorflow/tfjs-backend-webgpu, bundled into the bench page.
//
// tfjs records kernels into its own command encoder and submits every WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches;
// sync() submits what is pending and waits for the queue, the same end-of-run wait webgrad's runs get. tfjs's flags
// are left at their defaults (printed with the results).

import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import type { PeerInstance } from './types';
import { maxRelErr } from './types';

export type Tf = typeof tf;

/** The parts of tfjs's WebGPUBackend the bench uses (not in its public typings). */
interface WebGpuBackendInternals {
  device: GPUDevice;
  commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

export interface TfjsRuntime {
  tf: Tf;
  device: GPUDevice;
  /** Submits recorded work (nothing to wait for). */
  flush(): void;
  /** Submits recorded work and waits until the GPU has finished it. */
  sync(): Promise<void>;
  version: string;
  flags: Record<string, unknown>;
}

export async function initTfjs(): Promise<TfjsRuntime> {
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not initialise its webgpu backend');
  await tf.ready();
  const backend = tf.backend() as unknown as WebGpuBackendInternals;
  const flush = () => {
    if (backend.commandEncoder) {
      backend.endComputePassEncoder();
      backend.submitQueue();
    }
  };
  const flags: Record<string, unknown> = {};
  for (const f of [
    'WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE',
    'WEBGPU_CPU_FORWARD',
    'WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD',
    'WEBGPU_MATMUL_PROGRAM_TYPE',
  ]) {
    try {
      flags[f] = tf.env().get(f);
    } catch {
      // flag not registered in this version
    }
  }
  return {
    tf,
    device: backend.device,
    flush,
    async sync() {
      flush();
      await backend.device.queue.onSubmittedWorkDone();
    },
    version: tf.version.tfjs,
    flags,
  };
}

export interface TfInput {
  data: Float32Array;
  shape: number[];
  /** Differentiate with respect to this input (backward rows). */
  grad?: boolean;
}

/**
 * A tfjs computation over `inputs`: forward only, or with `gy` forward + backward through tf.grads (gradients of the
 * inputs marked `grad`). check() reads the output (forward) or the gradients (backward; or the forward output when
 * `checkForward` is set) and maps them back to the reference layout with `unpack` before comparing with `want()`.
 */
export function tfInstance(
  t: Tf,
  inputs: TfInput[],
  fwd: (xs: tf.Tensor[]) => tf.Tensor,
  opts: {
    gy?: { data: Float32Array; shape: number[] };
    unpack?: (got: Float32Array[]) => Float32Array[];
    want: () => Float64Array[];
    checkForward?: boolean;
  },
): PeerInstance {
  const xs = inputs.map((i) => t.tensor(i.data, i.shape));
  const gy = opts.gy ? t.tensor(opts.gy.data, opts.gy.shape) : null;
  const gi = inputs.map((x, i) => (x.grad ? i : -1)).filter((i) => i >= 0);
  const withVars = (vs: tf.Tensor[]) => xs.map((x, i) => (gi.includes(i) ? vs[gi.indexOf(i)] : x));
  const gradFn = gy ? t.grads((...vs: tf.Tensor[]) => fwd(withVars(vs))) : null;
  const call = (): tf.Tensor[] =>
    gradFn
      ? gradFn(
          gi.map((i) => xs[i]),
          gy!,
        )
      : [fwd(xs)];
  return {
    run() {
      t.tidy(() => call());
    },
    async check() {
      // A backward row checked on its forward output runs its backward once too (the first call compiles kernels).
      if (gradFn && opts.checkForward) t.tidy(() => call());
      const outs = t.tidy(() => (opts.checkForward || !gy ? [fwd(xs)] : call()));
      const got = await Promise.all(outs.map(async (o) => Float32Array.from(await o.data())));
      t.dispose(outs);
      return maxRelErr(opts.unpack ? opts.unpack(got) : got, opts.want());
    },
    dispose() {
      t.dispose(xs);
      if (gy) gy.dispose();
    },
  };
}
