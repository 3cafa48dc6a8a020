// The process-wide runtime every op records into. `init()` once, then use the ops.

import { WebgradError } from './errors';
import { acquireDevice, describeAdapter, type AdapterSummary, type InitOptions } from './gpu';
import { Runtime, type DeviceLossInfo } from './runtime';
import { chooseTuning, type Tuning, type TuningOption } from './tuning';

let current: Runtime | null = null;

export interface EngineOptions extends InitOptions {
  /** Dispatches recorded per submit (default 64). 1 gives one submit per op, handy when debugging. */
  batchSize?: number;
  /** Most bytes of freed buffers kept for reuse (default 256 MiB, Infinity for no cap); see Runtime.setPoolLimit. */
  poolBytes?: number;
  /**
   * Which kernels ops run by default: 'cpu' (shaped for CPU-emulated WebGPU) or 'gpu'. Unset, it is chosen from the
   * adapter (src/engine/tuning.ts); set, it overrides that choice (CI runs the GPU profile on SwiftShader this way).
   */
  tuning?: TuningOption;
}

/** Acquires a device (or adopts `opts.device`) and makes it the engine's runtime. */
export async function init(opts: EngineOptions = {}): Promise<Runtime> {
  const { device, adapter } = await acquireDevice(opts);
  const tuning = chooseTuning(adapter, opts.tuning); // before the runtime: a bad option fails with nothing created
  current = new Runtime(device, adapter, { batchSize: opts.batchSize, poolBytes: opts.poolBytes, tuning });
  return current;
}

/** The active runtime; throws if `init()` has not been awaited. */
export function runtime(): Runtime {
  if (!current) throw new WebgradError('runtime', 'webgrad is not initialised: await init() first');
  return current;
}

export function adapterInfo(): AdapterSummary {
  return runtime().adapter;
}

export { describeAdapter };

/** The active kernel tuning: its profile ('cpu' or 'gpu'), vendor, features, and why it was chosen. */
export function tuning(): Tuning {
  return runtime().tuning;
}

/** How the engine's device was lost (then every engine call throws a DeviceLostError), or null while it works. */
export function deviceLost(): DeviceLossInfo | null {
  return runtime().deviceLost;
}
