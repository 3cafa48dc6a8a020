// Dawn for Node: the optional `webgpu` package, loaded on first use so that importing webgrad never requires it, and
// a WebGPU adapter from it, with a Vulkan driver chosen as vulkan.ts describes where no GPU driver is installed.

import { isMainThread } from 'node:worker_threads';
import { WebgradError } from '../engine/errors';
import { installPollBackoff, type PollMode } from './poll';
import { ensureVulkanLoader, findSwiftShaderIcd, systemIcds, useIcd, userChoseIcd } from './vulkan';

export interface DawnOptions {
  /** Options for Dawn's `create()`, e.g. 'enable-dawn-features=disable_robustness'. */
  dawnOptions?: string[];
  /** How Dawn waits for the GPU (default: WEBGRAD_DAWN_POLL if set, else 'backoff'): see src/node/poll.ts. */
  poll?: PollMode;
  /** Linux: the Vulkan driver manifest (ICD) to use. Default: VK_ICD_FILENAMES if set, else the system's drivers, else SwiftShader. */
  vulkanIcd?: string;
  powerPreference?: GPUPowerPreference;
}

export interface DawnAdapter {
  gpu: GPU;
  adapter: GPUAdapter;
  /** The Vulkan driver manifest webgrad chose (null: the user's or the system's choice, or not Linux). */
  icd: string | null;
}

interface DawnModule {
  create(options: string[]): GPU;
  globals: object;
}

const INSTALL_DAWN = 'npm install webgpu';

async function loadDawn(): Promise<DawnModule> {
  try {
    // A variable specifier keeps bundlers from resolving (and inlining) the optional package.
    const name = 'webgpu';
    return (await import(name)) as DawnModule;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') {
      throw new WebgradError(
        'init',
        `WebGPU in Node needs Dawn, the optional peer dependency 'webgpu': run \`${INSTALL_DAWN}\``,
      );
    }
    throw new WebgradError('init', `the 'webgpu' package (Dawn) failed to load: ${err.message}`);
  }
}

/** GPUBufferUsage, GPUMapMode, … as the engine expects them on the global object (kept where already defined). */
function exposeGlobals(globals: object): void {
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(globals)) if (!(k in g)) g[k] = v;
}

const NO_ADAPTER =
  'Dawn found no usable GPU driver. Without a GPU, a SwiftShader Vulkan driver (a CPU-emulated GPU) works: Chromium ' +
  'and Google Chrome ship one (Debian/Ubuntu: apt-get install chromium, which puts it in /usr/lib/chromium/, where ' +
  "webgrad finds it), or point VK_ICD_FILENAMES at a vk_swiftshader_icd.json. Mesa's lavapipe is not usable by Dawn.";

/**
 * Linux: picks the Vulkan driver (see vulkan.ts) and makes sure the Vulkan loader can be found; returns the driver
 * manifest it chose (null: the user's or the system's). A worker thread has its own copy of process.env, which the
 * Vulkan loader never sees: call this in the main thread before starting a worker that will use Dawn.
 */
export function prepareVulkan(opts: Pick<DawnOptions, 'vulkanIcd'> = {}): string | null {
  if (process.platform !== 'linux') return null;
  let icd: string | null = null;
  if (opts.vulkanIcd) icd = opts.vulkanIcd;
  else if (!userChoseIcd() && systemIcds().length === 0) icd = findSwiftShaderIcd();
  if (icd && process.env.VK_ICD_FILENAMES !== icd) {
    if (!isMainThread) {
      throw new WebgradError(
        'init',
        `choosing the Vulkan driver ${icd} from a worker thread has no effect (its process.env is ` +
          'a copy): call prepareVulkan() from webgrad-gpu/node in the main thread before starting the worker, or set VK_ICD_FILENAMES',
      );
    }
    useIcd(icd);
  }
  ensureVulkanLoader([icd, process.env.VK_ICD_FILENAMES?.split(':')[0], findSwiftShaderIcd()]);
  return icd;
}

/**
 * Every Dawn instance handed out, kept reachable: a device does not keep its instance alive, and an instance that
 * the garbage collector takes while its device works crashes the process (a mutex error in Dawn's threads).
 */
const instances: GPU[] = [];

/** Dawn's GPU object and an adapter from it; throws a WebgradError saying what to install when there is none. */
export async function dawnAdapter(opts: DawnOptions = {}): Promise<DawnAdapter> {
  const dawn = await loadDawn();
  exposeGlobals(dawn.globals);
  const poll = opts.poll ?? (process.env.WEBGRAD_DAWN_POLL as PollMode | undefined) ?? 'backoff';
  if (poll !== 'spin' && poll !== 'backoff')
    throw new WebgradError('init', `poll must be 'backoff' or 'spin', got '${poll}' (WEBGRAD_DAWN_POLL?)`);
  if (poll === 'backoff') installPollBackoff();
  const linux = process.platform === 'linux';
  let icd = prepareVulkan(opts);
  const request = (gpu: GPU) => gpu.requestAdapter({ powerPreference: opts.powerPreference });
  let gpu = dawn.create(opts.dawnOptions ?? []);
  let adapter = await request(gpu);
  // A system driver that gives no adapter (a GPU driver without its GPU, say): SwiftShader, in a fresh instance.
  if (!adapter && linux && !icd && !userChoseIcd() && isMainThread) {
    icd = findSwiftShaderIcd();
    if (icd) {
      useIcd(icd);
      gpu = dawn.create(opts.dawnOptions ?? []);
      adapter = await request(gpu);
    }
  }
  if (!adapter) {
    const tried =
      icd ?? process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES ?? (systemIcds().join(', ') || 'none');
    throw new WebgradError('init', `${NO_ADAPTER} (Vulkan drivers tried: ${tried})`);
  }
  instances.push(gpu);
  return { gpu, adapter, icd };
}
