// Scenarios for the runtime's failure modes: device limits, the pool's byte cap, autograd after a tidy, overlapping
// tidyAsync calls, and a lost device. test/runtime.test.ts asserts on what these return.

import type * as wgType from '../../src/app/all';
import type { ScenarioTable } from './scenarios';

type W = typeof wgType;

/** The error `f` throws (awaited), as name and message, or null. */
async function caught(f: () => unknown): Promise<{ name: string; message: string } | null> {
  try {
    await f();
    return null;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
}

/** The counters an error must leave alone, and whether the next sync is clean. */
async function aftermath(w: W, before: wgType.Counters) {
  const s = w.runtime().stats();
  const syncError = await caught(() => w.runtime().sync());
  return {
    liveBytes: s.liveBytes - before.liveBytes,
    allocatedBytes: s.allocatedBytes - before.allocatedBytes,
    dispatches: s.dispatches - before.dispatches,
    syncError,
  };
}

/**
 * Runs `fn` with a device of WebGPU's default limits (maxBufferSize 256 MiB, 128 MiB per storage binding) as the
 * engine's, then leaves the page a working engine that remembers the kernels dispatched so far (for the coverage check).
 */
async function withOwnDevice<T>(w: W, fn: (rt: wgType.Runtime) => Promise<T>): Promise<T> {
  const ran = new Set(w.runtime().kernelsDispatched);
  const adapter = await navigator.gpu.requestAdapter();
  const rt = await w.init({ device: await adapter!.requestDevice(), adapter: adapter! });
  try {
    return await fn(rt);
  } finally {
    rt.device.destroy();
    // fn may already have started a fresh engine (after a device loss): keep that one.
    const next = w.runtime() !== rt ? w.runtime() : await w.init();
    for (const k of [...ran, ...rt.kernelsDispatched]) next.kernelsDispatched.add(k);
  }
}

export const SCENARIOS = {
  /** Creation refuses shapes that are not arrays and values that are not finite. */
  async creationArgs(_args, w: W) {
    return {
      zerosString: await caught(() => w.zeros('abc' as unknown as number[])),
      zerosNumber: await caught(() => w.zeros(5 as unknown as number[])),
      onesNull: await caught(() => w.ones(null as unknown as number[])),
      fullNaN: await caught(() => w.full([2, 3], NaN)),
      fullInfinity: await caught(() => w.full([2], -Infinity)),
      fullString: await caught(() => w.full([2], '1' as unknown as number)),
    };
  },

  /** A tensor one element larger than this device can allocate and bind: refused before createBuffer. */
  async tooLargeTensor(_args, w: W) {
    const rt = w.runtime();
    await rt.sync();
    const lim = rt.device.limits;
    const elements = Math.min(lim.maxBufferSize, lim.maxStorageBufferBindingSize) / 4 + 1;
    const before = rt.stats();
    const error = await caught(() => w.zeros([elements]));
    return { elements, error, ...(await aftermath(w, before)) };
  },

  /** An op whose output alone is over the limit (an outer product): refused naming the op, before any dispatch. */
  async tooLargeOutput(_args, w: W) {
    const rt = w.runtime();
    const lim = rt.device.limits;
    const n = Math.ceil(Math.sqrt(Math.min(lim.maxBufferSize, lim.maxStorageBufferBindingSize) / 4)) + 1;
    return w.tidyAsync(async () => {
      const a = w.zeros([n, 1]);
      const b = w.zeros([1, n]);
      await rt.sync();
      const before = rt.stats();
      const error = await caught(() => w.matmul(a, b));
      const after = await aftermath(w, before);
      return { n, error, dispatches: after.dispatches, liveBytes: after.liveBytes, syncError: after.syncError };
    });
  },

  /**
   * infoNCE over 2·N > 65535·16 rows: its first kernel would need more than 65535 workgroups along x. Refused at the
   * dispatch, naming the kernel and the shapes it binds.
   */
  async tooManyWorkgroups({ n }: { n: number }, w: W) {
    const rt = w.runtime();
    return w.tidyAsync(async () => {
      const a = w.zeros([n, 4]);
      const p = w.zeros([n, 4]);
      await rt.sync();
      const before = rt.stats();
      const error = await caught(() => w.infoNCE(a, p, { temperature: 0.1, inBatchNegatives: false }));
      return { error, limit: rt.device.limits.maxComputeWorkgroupsPerDimension, ...(await aftermath(w, before)) };
    });
  },

  /**
   * On a device with the default limits (binding 128 MiB < buffer 256 MiB) a 160 MB tensor could be allocated but
   * never bound by a kernel: refused when it is made.
   */
  async bindingLimit(_args, w: W) {
    return withOwnDevice(w, async (rt) => {
      const before = rt.stats();
      const error = await caught(() => w.zeros([40_000_000]));
      const counters = await aftermath(w, before);
      // A buffer made outside the engine is checked when a dispatch binds it.
      const big = rt.device.createBuffer({ size: 160_000_000, usage: GPUBufferUsage.STORAGE });
      const poke = w.kernel(
        'poke',
        '@group(0) @binding(0) var<storage, read_write> x: array<f32>;\n' +
          '@compute @workgroup_size(1)\nfn main() {\n  x[0] = 1.0;\n}\n',
        { buffers: { x: 'read_write' } },
      );
      const dispatchError = await caught(() => rt.dispatch({ kernel: poke, buffers: { x: big }, groups: [1] }));
      const dispatchSync = await caught(() => rt.sync());
      big.destroy();
      return {
        error,
        dispatchError,
        dispatchSync,
        limits: { binding: rt.device.limits.maxStorageBufferBindingSize, buffer: rt.device.limits.maxBufferSize },
        ...counters,
      };
    });
  },

  /**
   * The pool under a byte cap: four raw buffers of distinct sizes freed in order leave the three most recent pooled;
   * a pooled one is reused, an evicted one is made anew; and tensors of 40 distinct sizes keep it under the cap.
   */
  async poolCap({ cap }: { cap: number }, w: W) {
    const rt = w.runtime();
    await rt.sync();
    const limitBefore = rt.poolLimit;
    rt.trimPool();
    rt.setPoolLimit(cap);
    const size = (i: number) => 65536 + 256 * i;
    try {
      // One at a time, so the working set (which the pool may keep above its cap) stays one buffer.
      const liveAtStart = rt.stats().liveBytes;
      for (const i of [0, 1, 2, 3]) rt.release(rt.acquire(size(i)));
      const afterFour = rt.stats();
      // Buffer 0 was freed longest ago: it must be the one destroyed.
      const reuse1 = rt.acquire(size(1));
      const reused = rt.stats().allocatedBuffers - afterFour.allocatedBuffers;
      const reuse0 = rt.acquire(size(0));
      const remade = rt.stats().allocatedBuffers - afterFour.allocatedBuffers;
      rt.release(reuse1);
      rt.release(reuse0);
      rt.trimPool();
      // Forward passes over 40 batch sizes, as predictSentiment on growing batches does.
      let highWater = 0;
      const weight = w.randn([64, 64], { seed: 1 });
      for (let b = 1; b <= 40; b++) {
        const y = w.tidy(() => w.relu(w.matmul(w.randn([b, 64], { seed: b }), weight)));
        await y.toArray();
        y.dispose();
        highWater = Math.max(highWater, rt.stats().pooledBytes);
      }
      weight.dispose();
      const end = rt.stats();
      return {
        afterFour: { pooledBuffers: afterFour.pooledBuffers, pooledBytes: afterFour.pooledBytes },
        reused,
        remade,
        highWater,
        liveAtStart,
        // Evicted buffers are destroyed: what is allocated is what is live or pooled.
        unaccounted: end.allocatedBytes - end.liveBytes - end.pooledBytes,
      };
    } finally {
      rt.setPoolLimit(limitBefore);
    }
  },

  /** A working set above the cap: freed together, it stays pooled, and the next "step" remakes nothing. */
  async poolWorkingSet({ cap, bytes }: { cap: number; bytes: number }, w: W) {
    const rt = w.runtime();
    await rt.sync();
    const limitBefore = rt.poolLimit;
    rt.trimPool();
    rt.setPoolLimit(cap);
    try {
      const steps: { pooledBuffers: number; allocatedBuffers: number }[] = [];
      for (let step = 0; step < 3; step++) {
        const bufs = [0, 1, 2, 3].map(() => rt.acquire(bytes));
        for (const b of bufs) rt.release(b);
        const s = rt.stats();
        steps.push({ pooledBuffers: s.pooledBuffers, allocatedBuffers: s.allocatedBuffers });
      }
      rt.trimPool();
      const afterTrim = rt.stats().pooledBuffers;
      // After trimPool() the working set starts again from what is live (nothing): two buffers used one after the other
      // make a working set of the larger one, so the older is destroyed when the second is freed.
      rt.release(rt.acquire(bytes));
      rt.release(rt.acquire(bytes * 2));
      return { steps, afterTrim, afterSmallStep: rt.stats().pooledBuffers };
    } finally {
      rt.setPoolLimit(limitBefore);
    }
  },

  /** The default cap, and the cap init() passes through. */
  async poolDefaults(_args, w: W) {
    const rt = w.runtime();
    const other = new w.Runtime(rt.device, rt.adapter, { poolBytes: 1 << 20 });
    return {
      defaultLimit: rt.poolLimit,
      constant: w.DEFAULT_POOL_BYTES,
      optionLimit: other.poolLimit,
      badLimit: await caught(() => rt.setPoolLimit(-1)),
    };
  },

  /**
   * The pool's high-water mark (bytes) over predictSentiment on batch sizes 1..maxB of DAR small (MOSI shapes), under
   * `cap` (the runtime's own cap when not given).
   */
  async predictPoolHighWater({ maxB, cap }: { maxB: number; cap?: number }, w: W) {
    const rt = w.runtime();
    await rt.sync();
    const limitBefore = rt.poolLimit;
    rt.trimPool();
    if (cap !== undefined) rt.setPoolLimit(cap);
    const dims = w.syntheticMosi({ seed: 0, size: 'tiny' }).dims;
    const model = new w.DAR(w.darConfig('small', dims, { seed: 3 }));
    const fill = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    let pooled = 0;
    let allocated = 0;
    const t0 = performance.now();
    for (let b = 1; b <= maxB; b++) {
      await w.predictSentiment(model, {
        size: b,
        text: fill(b * dims.text.len * dims.text.dim),
        audio: fill(b * dims.audio.len * dims.audio.dim),
        vision: fill(b * dims.vision.len * dims.vision.dim),
      });
      const s = rt.stats();
      pooled = Math.max(pooled, s.pooledBytes);
      allocated = Math.max(allocated, s.allocatedBytes);
    }
    model.dispose();
    const s = rt.stats();
    rt.setPoolLimit(limitBefore);
    return {
      pooledHighWater: pooled,
      allocatedHighWater: allocated,
      liveBytes: s.liveBytes,
      cap: cap ?? limitBefore,
      ms: performance.now() - t0,
    };
  },

  /** backward() through an intermediate that a tidy() already disposed: the error, and the buffers it leaves. */
  async backwardAfterTidy(_args, w: W) {
    const rt = w.runtime();
    const x = w.tensor([0.5, -1, 2, 3], [4], { requiresGrad: true });
    const h = w.tidy(() => w.relu(w.mul(x, x))); // the product is disposed; h's tape still points at it
    const loss = w.sum(w.mulScalar(h, 3));
    await rt.sync();
    const live = rt.stats().liveBuffers;
    const error = await caught(() => loss.backward());
    const leaked = rt.stats().liveBuffers - live;
    const gradMade = x.grad !== null;
    w.dispose([x, h, loss]);
    return { error, leaked, gradMade };
  },

  /**
   * Two tidyAsync() calls under Promise.all, each returning a tensor. The first makes its result after `first[0]` ms
   * and returns it `first[1]` ms later; the second makes and returns its result after `second` ms. Returns how each
   * call ended, what its caller can do with its result once both ended, and the live buffers left.
   */
  async overlappingTidyAsync({ first, second }: { first: [number, number]; second: number }, w: W) {
    const rt = w.runtime();
    await rt.sync();
    const live = rt.stats().liveBuffers;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const settle = (p: Promise<wgType.Tensor>) =>
      p.then(
        (t) => ({ t, error: null }),
        (e: Error) => ({ t: null, error: { name: e.name, message: e.message } }),
      );
    const [a, b] = await Promise.all([
      settle(
        w.tidyAsync(async () => {
          w.ones([8]);
          await sleep(first[0]);
          const r = w.full([4], 1);
          await sleep(first[1]);
          return r;
        }),
      ),
      settle(
        w.tidyAsync(async () => {
          w.ones([8]);
          await sleep(second);
          return w.full([4], 2);
        }),
      ),
    ]);
    // What the caller of each call can do with its result once both have ended.
    const use = async (r: { t: wgType.Tensor | null }) => (r.t ? caught(() => r.t!.toArray()) : null);
    const out = { first: a.error, second: b.error, useFirst: await use(a), useSecond: await use(b) };
    a.t?.dispose();
    b.t?.dispose();
    return { ...out, leaked: rt.stats().liveBuffers - live };
  },

  /** A tidyAsync() nested in another (awaited inside it) is not an overlap. */
  async nestedTidyAsync(_args, w: W) {
    const rt = w.runtime();
    await rt.sync();
    const live = rt.stats().liveBuffers;
    const outer = await w.tidyAsync(async () => {
      const inner = await w.tidyAsync(async () => {
        await rt.sync();
        return w.full([3], 5);
      });
      w.ones([16]);
      return w.mulScalar(inner, 2);
    });
    const values = Array.from(await outer.toArray());
    outer.dispose();
    return { values, leaked: rt.stats().liveBuffers - live };
  },

  /**
   * device.destroy() on the engine's device (as a driver reset would lose it): a read in flight, then every kind of
   * engine call, fail with a DeviceLostError; the loss is reported to onDeviceLost listeners and deviceLost(); disposing
   * still works; and init() again gives a working engine.
   */
  async deviceLoss(_args, w: W) {
    return withOwnDevice(w, async (rt) => {
      const heard: wgType.DeviceLossInfo[] = [];
      rt.onDeviceLost((loss) => heard.push(loss));
      const x = w.ones([16]);
      const y = w.add(x, x);
      const stale = w.ones([3]); // still held when the engine starts again
      await rt.sync();
      const lostBefore = w.deviceLost();
      const inFlight = caught(() => y.toArray());
      rt.device.destroy();
      const readInFlight = await inFlight;
      await rt.device.lost;
      const calls = {
        op: await caught(() => w.mul(x, y)),
        create: await caught(() => w.zeros([4])),
        upload: await caught(() => w.tensor([1, 2], [2])),
        read: await caught(() => x.toArray()),
        sync: await caught(() => rt.sync()),
      };
      const dispose = await caught(() => w.dispose([x, y]));
      let lateListener: wgType.DeviceLossInfo | null = null;
      rt.onDeviceLost((loss) => (lateListener = loss));
      const lostAfter = w.deviceLost();
      const restarted = await w.init();
      const again = w.ones([3]);
      const values = Array.from(await again.toArray());
      // A tensor of the lost device handed to the new engine: refused by name, not a validation error at a later sync.
      const staleUse = { op: await caught(() => w.add(stale, again)), read: await caught(() => stale.toArray()) };
      stale.dispose();
      again.dispose();
      const syncAfter = await caught(() => w.runtime().sync());
      return {
        lostBefore,
        readInFlight,
        calls,
        dispose,
        heard,
        lateListener,
        lostAfter,
        restartedLost: restarted.deviceLost,
        values,
        staleUse,
        syncAfter,
        liveAfter: w.runtime().stats().liveBuffers,
      };
    });
  },
} satisfies ScenarioTable;
