// Acquiring a WebGPU device. The engine never touches browser-only globals except `navigator.gpu` here, and only when
// the caller hands in neither a device nor a GPU object, so it also runs on a GPUDevice from elsewhere (e.g. Dawn in Node).

import { WebgradError } from './errors';

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** true for a software adapter such as SwiftShader (a CPU-emulated GPU). */
  isFallbackAdapter: boolean;
  features: string[];
  limits: Record<string, number>;
}

export interface InitOptions {
  /** Use this device as is (its adapter info is then read from `adapter` if given). */
  device?: GPUDevice;
  adapter?: GPUAdapter;
  /** Defaults to `navigator.gpu`. */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
}

export interface AcquiredDevice {
  device: GPUDevice;
  adapter: AdapterSummary;
}

/** Features webgrad uses when the adapter has them. */
// subgroups and shader-f16 only widen what the GPU profile's kernels may use (src/engine/tuning.ts); none requires them.
const WANTED_FEATURES: GPUFeatureName[] = ['timestamp-query', 'subgroups' as GPUFeatureName, 'shader-f16'];

export async function acquireDevice(opts: InitOptions = {}): Promise<AcquiredDevice> {
  let { device, adapter } = opts;
  if (!device) {
    const gpu = opts.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
    if (!gpu) {
      throw new WebgradError(
        'init',
        'WebGPU is not available here (no navigator.gpu). In Chrome/Chromium it needs a ' +
          'secure context (https or http://127.0.0.1) and, without a hardware GPU, --enable-unsafe-webgpu.',
      );
    }
    adapter = adapter ?? (await gpu.requestAdapter({ powerPreference: opts.powerPreference })) ?? undefined;
    if (!adapter) throw new WebgradError('init', 'navigator.gpu.requestAdapter() returned null: no WebGPU adapter');
    const requiredFeatures = WANTED_FEATURES.filter((f) => adapter!.features.has(f));
    // Ask for the adapter's own maxima: matmuls over whole datasets need large storage buffers.
    const l = adapter.limits;
    device = await adapter.requestDevice({
      requiredFeatures,
      requiredLimits: {
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxBufferSize: l.maxBufferSize,
        maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
        maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
        maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      },
    });
  }
  return { device, adapter: summarize(device, adapter) };
}

function summarize(device: GPUDevice, adapter?: GPUAdapter): AdapterSummary {
  const info = (adapter?.info ?? (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo) as
    (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined;
  const limits: Record<string, number> = {};
  // GPUSupportedLimits keeps its values on the prototype as getters, so enumerate them via for..in.
  for (const k in device.limits) {
    const v = (device.limits as unknown as Record<string, unknown>)[k];
    if (typeof v === 'number') limits[k] = v;
  }
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    isFallbackAdapter: Boolean(
      info?.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean })?.isFallbackAdapter,
    ),
    features: [...device.features].sort(),
    limits,
  };
}

export const describeAdapter = (a: AdapterSummary): string =>
  `${a.vendor || 'unknown vendor'} / ${a.architecture || 'unknown architecture'}` +
  `${a.description ? ` (${a.description})` : ''}${a.isFallbackAdapter ? ' [fallback adapter: CPU-emulated]' : ''}`;
