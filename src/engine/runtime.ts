// The runtime records kernel dispatches and owns GPU memory.
//
// - Pipelines are cached by kernel name + override constants, so each (kernel, config) compiles once.
// - Dispatches are recorded into one compute pass of one command encoder and submitted in batches (every
//   `batchSize` dispatches, or when a readback needs the results) instead of one submit per op.
// - Each dispatch's uniforms live in a 256-byte slot of one per-batch uniform buffer, written with a single
//   `writeBuffer` just before the batch is submitted.
// - Freed buffers return to a pool keyed by (bytes, usage), but only once the batch that may still use them has been
//   submitted: a later `queue.writeBuffer` into a reused buffer is ordered after every command already submitted,
//   whereas it would overtake commands still sitting in an unsubmitted encoder. The pool holds at most `poolLimit`
//   bytes (256 MiB by default), or the largest working set (live bytes) since the last trimPool()/setPoolLimit() if
//   that is larger: a training step that frees more than the cap then still finds its buffers next step instead of
//   remaking them, while batch sizes that come and go (inference) are capped. Past that, the buffers pooled longest
//   ago are destroyed.
// - Allocations and dispatches are checked against the device's limits before anything is recorded, and every call
//   after the device is lost throws a DeviceLostError: a WebGPU validation error would only surface at a later sync.
// - startProfile()/stopProfile() time every dispatch in between (src/engine/profile.ts); off, they cost one null check.

import { checkContract, orderBuffers, packParams, type Contract, type ContractDecl, type ParamValue } from './contract';
import { fmtShape, KernelError, WebgradError, type Shape } from './errors';
import { assemble, sourceOf, type Assembled } from './include';
import { COMMON_WGSL } from './kernels-common';
import type { AdapterSummary } from './gpu';
import { Profiler, type Profile, type ProfileOptions } from './profile';
import { chooseTuning, type Tuning } from './tuning';

// GPUBufferUsage / GPUMapMode values, spelled out so the engine needs no DOM globals.
export const USAGE = {
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
  QUERY_RESOLVE: 0x0200,
} as const;
const MAP_MODE_READ = 0x0001;
const STORAGE_USAGE = USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST;

export { f32bits, type ContractDecl, type ParamType, type ParamValue, type Access } from './contract';

/** A WGSL kernel: the file it came from (for error messages), its source and its checked contract. */
export interface Kernel {
  readonly name: string;
  /** The source with its `//#include`s expanded. */
  readonly code: string;
  /** Which file and line each line of `code` came from. */
  readonly source: Assembled;
  /** Names of its params and buffers in binding order, checked against the WGSL. */
  readonly contract: Contract;
}

/**
 * A kernel from its WGSL and what it declares, e.g. `{ params: { rows: 'u32', c: 'u32' }, buffers: { x: 'read',
 * y: 'read_write' } }`; throws a KernelError naming the kernel and the field where the declaration and the WGSL differ.
 * `//#include "common/…"` lines are expanded from `library` (kernels/common by default).
 */
export function kernel(name: string, code: string, decl: ContractDecl, library = COMMON_WGSL): Kernel {
  let source: Assembled;
  try {
    source = assemble(`${name}.wgsl`, code, library);
  } catch (e) {
    throw new KernelError(name, (e as Error).message);
  }
  return { name, code: source.code, source, contract: checkContract(name, source.code, decl) };
}

export interface DispatchSpec {
  kernel: Kernel;
  /** WGSL `override` constants: compile-time config, part of the pipeline cache key. */
  constants?: Record<string, number>;
  /** The fields of `struct Params` by name, packed as the kernel declares them (floats as f32). Omit when it has none. */
  params?: Readonly<Record<string, ParamValue>>;
  /** Storage buffers by name, bound in the kernel's declared order after the uniforms. */
  buffers: Readonly<Record<string, GPUBuffer>>;
  /** Workgroup counts. */
  groups: readonly [number, number?, number?];
}

export interface Counters {
  /** Buffers handed out and not yet released (tensors alive). */
  liveBuffers: number;
  liveBytes: number;
  /** Buffers kept in the pool for reuse, and all buffers ever created minus destroyed. */
  pooledBuffers: number;
  pooledBytes: number;
  allocatedBuffers: number;
  allocatedBytes: number;
  dispatches: number;
  submits: number;
  pipelines: number;
  /** Timestamp query sets alive (only while profiling; their buffers count in allocatedBuffers). */
  querySets: number;
}

/** How the device was lost (GPUDeviceLostInfo, copied so it outlives the device). */
export interface DeviceLossInfo {
  /** 'destroyed' when device.destroy() was called, else 'unknown' (driver reset, GPU removed, ...). */
  reason: string;
  message: string;
}

/** Every engine call after the GPU device was lost: tensors made on it are gone; init() again and rebuild them. */
export class DeviceLostError extends WebgradError {
  override name = 'DeviceLostError';
  constructor(
    op: string,
    readonly loss: DeviceLossInfo,
  ) {
    super(
      op,
      `the GPU device was lost (${loss.reason}${loss.message ? `: ${loss.message}` : ''}); ` +
        'await init() again and rebuild the model and its tensors',
    );
  }
}

/** What an allocation is for, so that an error names the op and the tensor's shape. */
export interface AllocationLabel {
  op: string;
  shape?: Shape;
}

/** Bytes of freed buffers the pool keeps by default. */
export const DEFAULT_POOL_BYTES = 256 * 1024 * 1024;

const UNIFORM_SLOT = 256; // minUniformBufferOffsetAlignment on every adapter
const MAX_UNIFORM_WORDS = UNIFORM_SLOT / 4;
const MAX_BATCH = 256; // dispatches per submit at most (the uniform buffer holds one slot each)

export class Runtime {
  readonly batchSize: number;
  private pipelines = new Map<string, GPUComputePipeline>();
  /** Names of the kernels dispatched so far (tests check that every kernel file is exercised). */
  readonly kernelsDispatched = new Set<string>();
  private pool = new Map<string, GPUBuffer[]>();
  /** Pooled buffers, least recently freed first (a Map iterates in insertion order), with their pool keys. */
  private poolOrder = new Map<GPUBuffer, string>();
  private poolBytesLimit: number;
  /** The most live bytes since the last trimPool()/setPoolLimit(): the pool may keep this much even above its cap. */
  private workingSetBytes = 0;
  /** Which rungs ops run by default (src/engine/tuning.ts), fixed for the runtime's life. */
  readonly tuning: Tuning;
  /** The device's limits, read once (each read of device.limits crosses into the browser). */
  private readonly limits: GPUSupportedLimits;
  /** The shape each storage buffer was last acquired for, named by limit errors. */
  private shapes = new WeakMap<GPUBuffer, Shape>();
  private loss: DeviceLossInfo | null = null;
  private lossListeners: ((loss: DeviceLossInfo) => void)[] = [];
  private releasedThisBatch: GPUBuffer[] = [];
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private uniformBuffer: GPUBuffer | null = null;
  private uniformData = new Uint32Array(MAX_BATCH * MAX_UNIFORM_WORDS);
  private uniformSlots = 0;
  private pendingInBatch = 0;
  private errors: Error[] = [];
  private pendingChecks: Promise<void>[] = [];
  private profiler: Profiler | null = null;
  /** During collectPipelines(): the pipelines dispatches asked for that are not compiled yet. */
  private collecting: Map<string, PipelineSpec> | null = null;
  private collectRead = false;
  private counters: Counters = {
    liveBuffers: 0,
    liveBytes: 0,
    pooledBuffers: 0,
    pooledBytes: 0,
    allocatedBuffers: 0,
    allocatedBytes: 0,
    dispatches: 0,
    submits: 0,
    pipelines: 0,
    querySets: 0,
  };

  constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterSummary,
    opts: { batchSize?: number; poolBytes?: number; tuning?: Tuning } = {},
  ) {
    this.tuning = opts.tuning ?? chooseTuning(adapter);
    this.batchSize = Math.min(opts.batchSize ?? 64, MAX_BATCH);
    this.poolBytesLimit = checkPoolBytes(opts.poolBytes ?? DEFAULT_POOL_BYTES);
    this.limits = device.limits;
    device.addEventListener('uncapturederror', (ev) => {
      this.errors.push(new KernelError('(uncaptured)', (ev as GPUUncapturedErrorEvent).error.message));
    });
    void device.lost.then((info) =>
      this.onLost({ reason: String(info.reason ?? 'unknown'), message: info.message ?? '' }),
    );
  }

  // ------------------------------------------------------------------------------------------- device loss

  /** How the device was lost, or null while it works. */
  get deviceLost(): DeviceLossInfo | null {
    return this.loss;
  }

  /** Calls `fn` once when the device is lost (at once if it already was); returns a function that unsubscribes. */
  onDeviceLost(fn: (loss: DeviceLossInfo) => void): () => void {
    if (this.loss) {
      fn(this.loss);
      return () => undefined;
    }
    this.lossListeners.push(fn);
    return () => {
      this.lossListeners = this.lossListeners.filter((f) => f !== fn);
    };
  }

  private onLost(loss: DeviceLossInfo): void {
    this.loss = loss;
    // Nothing recorded can run any more: drop the batch so later calls do not try to submit it.
    this.encoder = null;
    this.pass = null;
    this.releasedThisBatch = [];
    const listeners = this.lossListeners;
    this.lossListeners = [];
    for (const fn of listeners) fn(loss);
  }

  /** Throws a DeviceLostError naming `op` once the device is lost. */
  private assertDevice(op: string): void {
    if (this.loss) throw new DeviceLostError(op, this.loss);
  }

  // ---------------------------------------------------------------------------------------------- memory

  /**
   * A storage buffer of at least `bytes` (rounded up to 16 so kernels may read whole vec4s). Throws a WebgradError
   * naming `label` when the device cannot allocate it or, for storage, bind it whole (every kernel binds whole buffers).
   */
  acquire(bytes: number, usage: number = STORAGE_USAGE, label: AllocationLabel = { op: 'allocate' }): GPUBuffer {
    this.assertDevice(label.op);
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    this.checkSize(size, usage, label);
    const key = `${size}:${usage}`;
    let buf = this.pool.get(key)?.pop();
    if (buf) {
      this.poolOrder.delete(buf);
      this.counters.pooledBuffers--;
      this.counters.pooledBytes -= size;
    } else {
      buf = this.device.createBuffer({ size, usage });
      this.counters.allocatedBuffers++;
      this.counters.allocatedBytes += size;
    }
    if (usage & USAGE.STORAGE) {
      this.counters.liveBuffers++;
      this.counters.liveBytes += size;
      this.workingSetBytes = Math.max(this.workingSetBytes, this.counters.liveBytes);
      if (label.shape) this.shapes.set(buf, label.shape);
      else this.shapes.delete(buf);
    }
    return buf;
  }

  private checkSize(size: number, usage: number, label: AllocationLabel): void {
    const lim = this.limits;
    const [limit, name] =
      usage & USAGE.STORAGE && lim.maxStorageBufferBindingSize < lim.maxBufferSize
        ? [lim.maxStorageBufferBindingSize, 'maxStorageBufferBindingSize']
        : [lim.maxBufferSize, 'maxBufferSize'];
    if (!(size <= limit)) {
      const what = label.shape ? `a tensor of shape ${fmtShape(label.shape)}` : 'a buffer';
      throw new WebgradError(
        label.op,
        `${what} needs ${size} bytes; this device allows at most ${limit} (${name})`,
        label.shape ? [label.shape] : [],
      );
    }
  }

  /** Gives a buffer back; it becomes reusable once every command recorded so far has been submitted. */
  release(buf: GPUBuffer): void {
    if (buf.usage & USAGE.STORAGE) {
      this.counters.liveBuffers--;
      this.counters.liveBytes -= buf.size;
    }
    if (this.encoder) this.releasedThisBatch.push(buf);
    else this.toPool(buf);
  }

  private toPool(buf: GPUBuffer): void {
    const key = `${buf.size}:${buf.usage}`;
    let list = this.pool.get(key);
    if (!list) this.pool.set(key, (list = []));
    list.push(buf);
    this.poolOrder.set(buf, key);
    this.counters.pooledBuffers++;
    this.counters.pooledBytes += buf.size;
    this.evictTo(Math.max(this.poolBytesLimit, this.workingSetBytes));
  }

  /** Destroys pooled buffers, least recently freed first, until the pool holds at most `bytes`. */
  private evictTo(bytes: number): void {
    for (const [buf, key] of this.poolOrder) {
      if (this.counters.pooledBytes <= bytes) return;
      this.poolOrder.delete(buf);
      const list = this.pool.get(key)!;
      list.splice(list.indexOf(buf), 1);
      if (list.length === 0) this.pool.delete(key);
      this.counters.pooledBuffers--;
      this.counters.pooledBytes -= buf.size;
      this.counters.allocatedBuffers--;
      this.counters.allocatedBytes -= buf.size;
      buf.destroy();
    }
  }

  /**
   * Bytes of freed buffers kept for reuse (init's `poolBytes`, 256 MiB by default); the pool may keep up to the largest
   * working set since the last trimPool()/setPoolLimit() when that is larger.
   */
  get poolLimit(): number {
    return this.poolBytesLimit;
  }

  /** Changes the pool's byte cap (Infinity: unbounded), destroying the least recently freed buffers above it. */
  setPoolLimit(bytes: number): void {
    this.poolBytesLimit = checkPoolBytes(bytes);
    this.workingSetBytes = this.counters.liveBytes;
    this.evictTo(this.poolBytesLimit);
  }

  /** Destroys every pooled buffer (live ones stay), e.g. after inference on a batch size that will not come again. */
  trimPool(): void {
    if (!this.loss) this.flush();
    this.workingSetBytes = this.counters.liveBytes;
    this.evictTo(0);
  }

  /** Uploads `data` into a fresh storage buffer. */
  upload(data: ArrayBufferView, label: AllocationLabel = { op: 'upload' }): GPUBuffer {
    const buf = this.acquire(data.byteLength, STORAGE_USAGE, label);
    if (data.byteLength > 0 && !this.collecting) {
      this.device.queue.writeBuffer(buf, 0, data.buffer, data.byteOffset, data.byteLength);
    }
    return buf;
  }

  /** Overwrites the start of an existing buffer, ordered after all work recorded so far. */
  write(buf: GPUBuffer, data: ArrayBufferView): void {
    this.assertDevice('write');
    if (this.collecting) return;
    this.flush();
    this.device.queue.writeBuffer(buf, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Reads `bytes` bytes of `buf` back to the CPU, after all work recorded so far. */
  async read(buf: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    if (this.collecting) {
      // The caller may not await this inside the dry run; collectPipelines() throws once `fn` returns.
      this.collectRead = true;
      throw new WebgradError('collectPipelines', 'a dry run records no GPU work, so nothing can be read back');
    }
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const staging = this.acquire(size, USAGE.MAP_READ | USAGE.COPY_DST, { op: 'read' });
    this.ensureEncoder();
    this.endPass();
    this.encoder!.copyBufferToBuffer(buf, 0, staging, 0, size);
    this.flush();
    try {
      await staging.mapAsync(MAP_MODE_READ, 0, size);
    } catch (e) {
      // A device lost mid-read fails the map with a bare AbortError; name the loss instead (device.lost may come later).
      await Promise.race([this.device.lost, new Promise((r) => setTimeout(r, 100))]);
      this.assertDevice('read');
      throw e;
    }
    const out = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    this.release(staging);
    await this.checkErrors();
    return out;
  }

  /** Copies `bytes` bytes between buffers, in recording order. */
  copy(src: GPUBuffer, dst: GPUBuffer, bytes: number, srcOffset = 0, dstOffset = 0): void {
    if (bytes === 0 || this.collecting) return;
    this.assertDevice('copy');
    this.ensureEncoder();
    this.endPass();
    this.encoder!.copyBufferToBuffer(src, srcOffset, dst, dstOffset, Math.ceil(bytes / 4) * 4);
  }

  // --------------------------------------------------------------------------------------------- dispatch

  private pipeline(k: Kernel, constants: Record<string, number> = {}): GPUComputePipeline {
    const key = pipelineKey(k, constants);
    let p = this.pipelines.get(key);
    if (p) return p;
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ label: k.name, code: k.code });
    p = this.device.createComputePipeline({
      label: key,
      layout: 'auto',
      compute: { module, entryPoint: 'main', constants },
    });
    const scope = this.device.popErrorScope();
    this.pendingChecks.push(
      (async () => {
        const err = await scope;
        if (!err) return;
        // Compilation messages carry line numbers of the assembled source; name the file (kernel or include) and line.
        const info = await module.getCompilationInfo();
        const lines = info.messages
          .filter((m) => m.type === 'error')
          .map((m) => `${sourceOf(k.source, m.lineNum)}:${m.linePos}: ${m.message}`);
        this.errors.push(new KernelError(k.name, lines.length ? lines.join('\n') : err.message));
      })(),
    );
    this.pipelines.set(key, p);
    this.counters.pipelines++;
    return p;
  }

  /** Records one dispatch into the current batch. */
  dispatch(spec: DispatchSpec): void {
    const k = spec.kernel;
    this.assertDevice(k.name);
    const [gx, gy = 1, gz = 1] = spec.groups;
    const buffers = orderBuffers(k.name, k.contract, spec.buffers);
    // Names are checked before anything is recorded: a kernel without uniforms refuses any param (writing nothing).
    if (spec.params && k.contract.params.length === 0) packParams(k.name, k.contract, spec.params, this.uniformData, 0);
    this.checkDispatch(k.name, buffers, [gx, gy, gz]);
    if (gx === 0 || gy === 0 || gz === 0) return;
    if (this.collecting) {
      const key = pipelineKey(k, spec.constants ?? {});
      if (!this.pipelines.has(key)) this.collecting.set(key, { kernel: k, constants: spec.constants ?? {} });
      return;
    }
    const pipeline = this.pipeline(k, spec.constants);
    this.kernelsDispatched.add(k.name);
    this.ensureEncoder();
    const entries: GPUBindGroupEntry[] = [];
    if (k.contract.params.length > 0) {
      const slot = this.uniformSlots;
      packParams(k.name, k.contract, spec.params ?? {}, this.uniformData, slot * MAX_UNIFORM_WORDS);
      this.uniformSlots++;
      entries.push({
        binding: 0,
        resource: { buffer: this.uniformBuffer!, offset: slot * UNIFORM_SLOT, size: UNIFORM_SLOT },
      });
    }
    for (const buffer of buffers) entries.push({ binding: entries.length, resource: { buffer } });
    const bindGroup = this.device.createBindGroup({ label: k.name, layout: pipeline.getBindGroupLayout(0), entries });
    if (this.profiler) return this.profiledDispatch(k.name, pipeline, bindGroup, gx, gy, gz);
    if (!this.pass) this.pass = this.encoder!.beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(gx, gy, gz);
    this.counters.dispatches++;
    if (++this.pendingInBatch >= this.batchSize) this.flush();
  }

  /** Refuses, before anything is recorded, a grid or a binding that this device's limits do not allow. */
  private checkDispatch(kernel: string, buffers: GPUBuffer[], groups: number[]): void {
    const lim = this.limits;
    const fail = (msg: string) => {
      const shapes = [...new Set(buffers)].map((b) => this.shapes.get(b)).filter((sh): sh is Shape => sh !== undefined);
      return new WebgradError(kernel, msg, shapes);
    };
    if (!groups.every((g) => Number.isInteger(g) && g >= 0))
      throw fail(`workgroup counts must be non-negative integers, got ${groups.join('×')}`);
    const maxGroups = lim.maxComputeWorkgroupsPerDimension;
    if (groups.some((g) => g > maxGroups)) {
      throw fail(
        `needs ${groups.join('×')} workgroups; this device allows at most ${maxGroups} per dimension ` +
          '(maxComputeWorkgroupsPerDimension)',
      );
    }
    buffers.forEach((b, i) => {
      if (b.size > lim.maxStorageBufferBindingSize) {
        throw fail(
          `storage buffer ${i} holds ${b.size} bytes; this device binds at most ${lim.maxStorageBufferBindingSize} ` +
            '(maxStorageBufferBindingSize)',
        );
      }
    });
  }

  /** dispatch() while profiling: a pass of its own with timestamps, or (wall clock) a submit of its own. */
  private profiledDispatch(
    name: string,
    pipeline: GPUComputePipeline,
    bindGroup: GPUBindGroup,
    gx: number,
    gy: number,
    gz: number,
  ): void {
    this.endPass();
    const timestampWrites = this.profiler!.nextDispatch(name);
    const pass = this.encoder!.beginComputePass(timestampWrites ? { timestampWrites } : {});
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(gx, gy, gz);
    pass.end();
    this.counters.dispatches++;
    if (++this.pendingInBatch >= this.batchSize || !timestampWrites) this.flush();
  }

  // ------------------------------------------------------------------------------------- compile ahead

  /**
   * Runs `fn` as a dry run: its dispatches, copies and writes are NOT recorded (buffers are still allocated and freed),
   * and a read back throws. Returns the pipelines its dispatches need that are not compiled yet, for compilePipelines().
   * The GPU state is untouched; JS state that `fn` changes (an optimizer's step count) is the caller's to restore.
   */
  collectPipelines(fn: () => void): PipelineSpec[] {
    this.assertDevice('collectPipelines');
    if (this.collecting) throw new WebgradError('collectPipelines', 'already collecting');
    this.flush();
    const found = new Map<string, PipelineSpec>();
    this.collecting = found;
    this.collectRead = false;
    try {
      fn();
    } finally {
      this.collecting = null;
    }
    if (this.collectRead)
      throw new WebgradError(
        'collectPipelines',
        'the function read a tensor back; a dry run records no GPU work to read',
      );
    return [...found.values()];
  }

  /**
   * Compiles `specs` with createComputePipelineAsync, calling onProgress(done, total) as each finishes, so a first
   * step that would spend seconds to a minute compiling can say so. A pipeline that fails to compile is left out: its
   * first dispatch compiles it again and reports the KernelError as usual.
   */
  async compilePipelines(
    specs: readonly PipelineSpec[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<void> {
    const todo = specs.filter((p) => !this.pipelines.has(pipelineKey(p.kernel, p.constants)));
    let done = 0;
    onProgress?.(0, todo.length);
    await Promise.all(
      todo.map(async ({ kernel: k, constants }) => {
        const key = pipelineKey(k, constants);
        try {
          // A shader that does not compile is reported by its first dispatch, not as an uncaptured error from here.
          this.device.pushErrorScope('validation');
          const module = this.device.createShaderModule({ label: k.name, code: k.code });
          void this.device.popErrorScope();
          const p = await this.device.createComputePipelineAsync({
            label: key,
            layout: 'auto',
            compute: { module, entryPoint: 'main', constants },
          });
          if (!this.pipelines.has(key)) {
            this.pipelines.set(key, p);
            this.counters.pipelines++;
          }
        } catch {
          // Left for the lazy path, which names the kernel file and line.
        }
        onProgress?.(++done, todo.length);
      }),
    );
  }

  // ---------------------------------------------------------------------------------------------- profile

  /**
   * Starts timing every dispatch per kernel (see src/engine/profile.ts), until stopProfile(). Work recorded before this call
   * is submitted first and is not counted.
   */
  startProfile(opts: ProfileOptions = {}): void {
    this.assertDevice('startProfile');
    if (this.profiler) throw new KernelError('(profile)', 'a profile is already running: call stopProfile() first');
    const mode = opts.mode ?? 'auto';
    const hasTimestamps = this.device.features.has('timestamp-query');
    if (mode === 'timestamp' && !hasTimestamps) {
      throw new KernelError(
        '(profile)',
        "mode 'timestamp' needs the device feature timestamp-query, which this device lacks",
      );
    }
    this.flush();
    this.profiler = new Profiler(
      this.device,
      mode === 'wall' || !hasTimestamps ? 'wall' : 'timestamp',
      MAX_BATCH,
      (sets, buffers, bytes) => {
        this.counters.querySets += sets;
        this.counters.allocatedBuffers += buffers;
        this.counters.allocatedBytes += bytes;
      },
    );
  }

  /** Ends the profile started by startProfile(): submits, waits for the GPU, and returns the per-kernel table. */
  async stopProfile(): Promise<Profile> {
    const p = this.profiler;
    if (!p) throw new KernelError('(profile)', 'no profile is running: call startProfile() first');
    this.flush();
    this.profiler = null;
    await this.device.queue.onSubmittedWorkDone();
    const profile = await p.finish();
    await this.checkErrors();
    return profile;
  }

  /** Profiles everything `fn` records (awaited if it returns a promise): startProfile(), fn, stopProfile(). */
  async profile<T>(fn: () => T | Promise<T>, opts: ProfileOptions = {}): Promise<{ result: T; profile: Profile }> {
    this.startProfile(opts);
    let result: T;
    try {
      result = await fn();
    } catch (e) {
      await this.stopProfile().catch(() => undefined);
      throw e;
    }
    return { result, profile: await this.stopProfile() };
  }

  /** Whether a profile is running (stats().querySets counts what it holds). */
  get profiling(): boolean {
    return this.profiler !== null;
  }

  private ensureEncoder(): void {
    if (this.encoder) return;
    this.device.pushErrorScope('validation');
    this.encoder = this.device.createCommandEncoder();
    this.uniformBuffer = this.acquire(MAX_BATCH * UNIFORM_SLOT, USAGE.UNIFORM | USAGE.COPY_DST);
    this.uniformSlots = 0;
    this.pendingInBatch = 0;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /** Submits everything recorded so far. */
  flush(): void {
    if (!this.encoder) return;
    this.assertDevice('flush');
    this.endPass();
    if (this.uniformSlots > 0) {
      this.device.queue.writeBuffer(
        this.uniformBuffer!,
        0,
        this.uniformData.buffer,
        0,
        this.uniformSlots * UNIFORM_SLOT,
      );
    }
    this.profiler?.beforeSubmit(this.encoder);
    this.device.queue.submit([this.encoder.finish()]);
    this.counters.submits++;
    this.profiler?.afterSubmit(this.device.queue);
    const scope = this.device.popErrorScope();
    this.pendingChecks.push(
      scope.then((err) => {
        if (err) this.errors.push(new KernelError('(batch)', err.message));
      }),
    );
    this.encoder = null;
    this.release(this.uniformBuffer!);
    this.uniformBuffer = null;
    for (const b of this.releasedThisBatch) this.toPool(b);
    this.releasedThisBatch = [];
  }

  /** Waits for the GPU to finish all submitted work, then throws the first compile/validation error, if any. */
  async sync(): Promise<void> {
    this.assertDevice('sync');
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.checkErrors();
  }

  private async checkErrors(): Promise<void> {
    const checks = this.pendingChecks;
    this.pendingChecks = [];
    await Promise.all(checks);
    // A compile error also invalidates every batch that used the pipeline; report the cause, not the echo.
    const err = this.errors.find((e) => (e as KernelError).kernel !== '(batch)') ?? this.errors[0];
    if (err) {
      this.errors = [];
      throw err;
    }
  }

  stats(): Counters {
    return { ...this.counters };
  }
}

function checkPoolBytes(bytes: number): number {
  if (typeof bytes !== 'number' || !(bytes >= 0))
    throw new WebgradError('poolLimit', `must be a number of bytes >= 0 (or Infinity), got ${String(bytes)}`);
  return bytes;
}

/** A pipeline to compile: a kernel with its override constants (what dispatch() caches pipelines by). */
export interface PipelineSpec {
  kernel: Kernel;
  constants: Record<string, number>;
}

function pipelineKey(k: Kernel, constants: Record<string, number>): string {
  return `${k.name}|${Object.entries(constants)
    .sort()
    .map(([c, v]) => `${c}=${v}`)
    .join(',')}`;
}

/** Workgroup counts covering `n` invocations of a 1-D kernel with `wg` threads per group, folded into y past 65535. */
export function grid1d(n: number, wg: number): [number, number] {
  const groups = Math.ceil(n / wg);
  if (groups <= 65535) return [groups, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y];
}
