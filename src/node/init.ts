// init() for Node: the engine's init on a device from Dawn (the `webgpu` package) instead of navigator.gpu.

import { init as engineInit, type EngineOptions } from '../engine/engine';
import type { Runtime } from '../engine/runtime';
import { dawnAdapter, type DawnOptions } from './dawn';

export interface NodeInitOptions extends EngineOptions, DawnOptions {}

/**
 * Creates a WebGPU device through Dawn and makes it the engine's runtime. Given `device` or `gpu`, it is the engine's
 * init unchanged. The process stays alive while the device lives: end with `process.exit()`, or `runtime().device.destroy()`.
 */
export async function init(opts: NodeInitOptions = {}): Promise<Runtime> {
  if (opts.device || opts.gpu) return engineInit(opts);
  const { gpu, adapter } = await dawnAdapter(opts);
  return engineInit({ ...opts, gpu, adapter });
}
