// Per-kernel profiles of whatever the engine records between `runtime.startProfile()` and `runtime.stopProfile()`.
//
// Two sources of time:
//   'timestamp'  the device has the `timestamp-query` feature (acquireDevice requests it whenever the adapter offers
//                it). While profiling, every dispatch gets a compute pass of its own whose beginning and end write GPU
//                timestamps into a per-batch query set; flush() resolves the set into a buffer and copies it to a
//                mappable one, read back asynchronously. A dispatch's time is end − begin of its pass.
//   'wall'       no timestamps (or asked for): the runtime submits after every dispatch, and a dispatch's time is the
//                wall-clock span from max(its submit, the previous completion) to its completion callback
//                (queue.onSubmittedWorkDone). Coarse: completions are only observed when the page's JavaScript
//                yields, so spans can be lumped onto whichever dispatch completes first after a long synchronous stretch.
// Either way the profile counts dispatches exactly. Separate passes and per-dispatch submits change the timing of the
// work a little (no overlap between dispatches); the profile is for finding where time goes, not for absolute ms/step.
//
// Off (the default) costs the hot path one null check per dispatch and per flush: no query sets, no extra passes.

/** One kernel's share of a profile (all dispatches of that kernel name, whatever their override constants). */
export interface KernelProfile {
  kernel: string;
  dispatches: number;
  /** Summed GPU (or wall) time of its dispatches. */
  totalMs: number;
  /** totalMs / the profile's totalMs (0 when the total is 0). */
  share: number;
  /** Mean time per dispatch in microseconds. */
  meanUs: number;
}

export interface Profile {
  source: 'timestamp' | 'wall';
  /** Every dispatch recorded while profiling. */
  dispatches: number;
  submits: number;
  /** Sum of the kernels' times. */
  totalMs: number;
  /** Wall-clock time from startProfile() to the end of stopProfile()'s wait for the GPU. */
  wallMs: number;
  /** Slowest first. */
  kernels: KernelProfile[];
}

export interface ProfileOptions {
  /** 'auto' (default): timestamps when the device has timestamp-query, else wall clock. */
  mode?: 'auto' | 'timestamp' | 'wall';
}

// GPUBufferUsage / GPUMapMode values (as in runtime.ts, which imports this module).
const MAP_READ = 0x0001;
const COPY_SRC = 0x0004;
const COPY_DST = 0x0008;
const QUERY_RESOLVE = 0x0200;
const MAP_MODE_READ = 0x0001;

/** Query set and buffers for the timestamps of one batch (2 per dispatch). */
interface QuerySlot {
  set: GPUQuerySet;
  resolve: GPUBuffer;
  read: GPUBuffer;
}

/** Collects per-dispatch times while the runtime profiles; owned by the runtime between start and stop. */
export class Profiler {
  private totals = new Map<string, { n: number; ms: number }>();
  /** Kernel names of the dispatches recorded into the current batch, in order. */
  private batch: string[] = [];
  private free: QuerySlot[] = [];
  private all: QuerySlot[] = [];
  private current: QuerySlot | null = null;
  private pending: Promise<void>[] = [];
  private lastDone = 0;
  private readonly t0 = performance.now();
  dispatches = 0;
  submits = 0;

  constructor(
    private readonly device: GPUDevice,
    readonly source: 'timestamp' | 'wall',
    /** Most dispatches in one batch (the query set holds 2 timestamps each). */
    private readonly maxBatch: number,
    /** Told of every query set and buffer created (positive counts) or destroyed (negative), for the runtime's counters. */
    private readonly track: (querySets: number, buffers: number, bytes: number) => void = () => {},
  ) {}

  /**
   * Timestamp writes for the pass of the next dispatch, which the caller records under `kernel`. Wall mode: undefined
   * (the caller submits after the dispatch instead).
   */
  nextDispatch(kernel: string): GPUComputePassTimestampWrites | undefined {
    const j = this.batch.length;
    this.batch.push(kernel);
    this.dispatches++;
    if (this.source === 'wall') return undefined;
    this.current ??= this.takeSlot();
    return { querySet: this.current.set, beginningOfPassWriteIndex: 2 * j, endOfPassWriteIndex: 2 * j + 1 };
  }

  private takeSlot(): QuerySlot {
    const s = this.free.pop();
    if (s) return s;
    const bytes = 2 * this.maxBatch * 8;
    const slot = {
      set: this.device.createQuerySet({ type: 'timestamp', count: 2 * this.maxBatch }),
      resolve: this.device.createBuffer({ size: bytes, usage: QUERY_RESOLVE | COPY_SRC }),
      read: this.device.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST }),
    };
    this.all.push(slot);
    this.track(1, 2, 2 * bytes);
    return slot;
  }

  /** Called by flush() with the batch's encoder, after its last pass ended and before it is finished. */
  beforeSubmit(encoder: GPUCommandEncoder): void {
    const slot = this.current;
    if (!slot || this.batch.length === 0) return;
    const n = 2 * this.batch.length;
    encoder.resolveQuerySet(slot.set, 0, n, slot.resolve, 0);
    encoder.copyBufferToBuffer(slot.resolve, 0, slot.read, 0, n * 8);
  }

  /** Called by flush() right after the batch was submitted. */
  afterSubmit(queue: GPUQueue): void {
    this.submits++;
    const names = this.batch;
    this.batch = [];
    if (names.length === 0) return;
    if (this.source === 'wall') {
      const submitted = performance.now();
      this.pending.push(
        queue.onSubmittedWorkDone().then(() => {
          const done = performance.now();
          const ms = done - Math.max(submitted, this.lastDone);
          this.lastDone = done;
          // One dispatch per submit in wall mode; should a batch hold more, its span is shared evenly.
          for (const k of names) this.add(k, ms / names.length);
        }),
      );
      return;
    }
    const slot = this.current!;
    this.current = null;
    const bytes = 2 * names.length * 8;
    this.pending.push(
      slot.read.mapAsync(MAP_MODE_READ, 0, bytes).then(() => {
        const t = new BigUint64Array(slot.read.getMappedRange(0, bytes).slice(0));
        slot.read.unmap();
        this.free.push(slot);
        for (let j = 0; j < names.length; j++) {
          const ns = Number(t[2 * j + 1] - t[2 * j]);
          // A timestamp pair can come back reversed or zeroed (quantised or reset clocks): count the dispatch, no time.
          this.add(names[j], Number.isFinite(ns) && ns > 0 ? ns / 1e6 : 0);
        }
      }),
    );
  }

  private add(kernel: string, ms: number): void {
    const e = this.totals.get(kernel);
    if (e) {
      e.n++;
      e.ms += ms;
    } else {
      this.totals.set(kernel, { n: 1, ms });
    }
  }

  /** Waits for every pending readback, destroys the query sets and buffers, and aggregates. */
  async finish(): Promise<Profile> {
    try {
      // Reading one batch can finish while another is still mapping: drain until nothing new was queued.
      while (this.pending.length) {
        const p = this.pending;
        this.pending = [];
        await Promise.all(p);
      }
    } finally {
      // Destroyed even when a readback failed (a lost device), so profiling never leaks query sets.
      for (const s of this.all) {
        s.set.destroy();
        s.resolve.destroy();
        s.read.destroy();
        this.track(-1, -2, -2 * s.read.size);
      }
      this.all = [];
      this.free = [];
    }
    let totalMs = 0;
    for (const e of this.totals.values()) totalMs += e.ms;
    const kernels: KernelProfile[] = [...this.totals].map(([kernel, e]) => ({
      kernel,
      dispatches: e.n,
      totalMs: e.ms,
      share: totalMs > 0 ? e.ms / totalMs : 0,
      meanUs: (e.ms / e.n) * 1000,
    }));
    kernels.sort((a, b) => b.totalMs - a.totalMs || b.dispatches - a.dispatches || a.kernel.localeCompare(b.kernel));
    return {
      source: this.source,
      dispatches: this.dispatches,
      submits: this.submits,
      totalMs,
      wallMs: performance.now() - this.t0,
      kernels,
    };
  }
}

/** A fixed-width table of the `top` slowest kernels (all when omitted), for logs and reports. */
export function formatProfile(p: Profile, top = p.kernels.length): string {
  const rows = p.kernels.slice(0, top);
  const w = Math.max(6, ...rows.map((r) => r.kernel.length));
  const lines = [
    `${p.source} profile: ${p.dispatches} dispatches in ${p.submits} submits, ${p.totalMs.toFixed(2)} ms of kernels, ${p.wallMs.toFixed(1)} ms wall`,
    `${'kernel'.padEnd(w)}  dispatches   total ms   share   mean µs`,
    ...rows.map(
      (r) =>
        `${r.kernel.padEnd(w)}  ${String(r.dispatches).padStart(10)}  ${r.totalMs.toFixed(3).padStart(9)}  ${(100 * r.share).toFixed(1).padStart(5)}%  ${r.meanUs.toFixed(1).padStart(8)}`,
    ),
  ];
  if (rows.length < p.kernels.length) lines.push(`(${p.kernels.length - rows.length} more kernels)`);
  return lines.join('\n');
}
