// memory() and trimPool(): one call for what the engine holds on the GPU, and one to give pooled memory back. The
// numbers come from the runtime's counters (runtime.ts) and the tensor count (tensor.ts); README "Memory" explains them.

import { runtime } from './engine';
import { liveTensorCount } from './tensor';

export interface MemoryInfo {
  /** Tensors made and not disposed (views count each; they share their buffer). */
  liveTensors: number;
  /** GPU buffers backing live tensors, and their bytes. */
  liveBuffers: number;
  liveBytes: number;
  /** Freed buffers kept for reuse, and their bytes. */
  pooledBuffers: number;
  pooledBytes: number;
  /** The pool's byte cap (init's poolBytes; Infinity for none). */
  poolLimit: number;
  /** Every buffer the runtime has created and not destroyed (live + pooled + staging), and their bytes. */
  allocatedBuffers: number;
  allocatedBytes: number;
}

/** What the engine holds on the GPU now. A training loop in tidy() keeps liveTensors and liveBytes flat step to step. */
export function memory(): MemoryInfo {
  const rt = runtime();
  const s = rt.stats();
  return {
    liveTensors: liveTensorCount(),
    liveBuffers: s.liveBuffers,
    liveBytes: s.liveBytes,
    pooledBuffers: s.pooledBuffers,
    pooledBytes: s.pooledBytes,
    poolLimit: rt.poolLimit,
    allocatedBuffers: s.allocatedBuffers,
    allocatedBytes: s.allocatedBytes,
  };
}

/** Destroys every pooled buffer (live tensors stay), e.g. after inference on a batch size that will not come again. */
export function trimPool(): void {
  runtime().trimPool();
}
