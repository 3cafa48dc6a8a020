// The process-wide runtime every op records into. `init()` once, then use the ops.

import { WebgradError } from './errors';
import { acquireDevice, describeAdapter, type AdapterSummary, type InitOptions } from './gpu';
import { Runtime, type DeviceLossInfo } from './runtime';

let current: Runtime | null = null;

export interface EngineOptions extends InitOptions {
  /** Dispatches recorded per submit (default 64). 1 gives one submit per op, handy when debugging. */
  batchSize?: number;
  /** Most bytes of freed buffers kept for reuse (default 256 MiB, Infinity for no cap); see Runtime.setPoolLimit. */
  poolBytes?: number;
}

/** Acquires a device (or adopts `opts.device`) and makes it the engine's runtime. */
export async function init(opts: EngineOptions = {}): Promise<Runtime> {
  const { device, adapter } = await acquireDevice(opts);
  current = new Runtime(device, adapter, { batchSize: opts.batchSize, poolBytes: opts.poolBytes });
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

/** How the engine's device was lost (then every engine call throws a DeviceLostError), or null while it works. */
export function deviceLost(): DeviceLossInfo | null {
  return runtime().deviceLost;
}
