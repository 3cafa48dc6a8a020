// The runtime's failure modes (issue #13): device limits are checked before any GPU work, the buffer pool is bounded,
// backward() after a tidy and overlapping tidyAsync() calls fail with a WebgradError and leak nothing, and a lost
// device turns every later call into a DeviceLostError.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from './page';
import { scenario, type ScenarioCallArgs } from './scenario';
import type { ScenarioName } from './page/scenarios';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

const run = <K extends ScenarioName>(name: K, ...args: ScenarioCallArgs<K>) => scenario(page, name, ...args);

/** Nothing counted, nothing recorded, and the next sync raises nothing left over. */
function expectNoTrace(r: { liveBytes: number; allocatedBytes: number; dispatches: number; syncError: unknown }) {
  expect(r.liveBytes).toBe(0);
  expect(r.allocatedBytes).toBe(0);
  expect(r.dispatches).toBe(0);
  expect(r.syncError).toBeNull();
}

describe('device limits', () => {
  it('refuses shapes that are not arrays and fill values that are not finite', async () => {
    const r = await run('creationArgs');
    for (const [k, op] of [
      ['zerosString', 'zeros'],
      ['zerosNumber', 'zeros'],
      ['onesNull', 'ones'],
      ['fullNaN', 'full'],
      ['fullInfinity', 'full'],
      ['fullString', 'full'],
    ] as const) {
      expect(r[k], k).not.toBeNull();
      expect(r[k]?.name, k).toBe('WebgradError');
      expect(r[k]?.message, k).toMatch(new RegExp(`^${op}: `));
    }
    expect(r.zerosString?.message).toMatch(/shape must be an array/);
    expect(r.fullNaN?.message).toMatch(/finite.*NaN.*\[2, 3\]/);
  });

  it('refuses a tensor larger than the device allows when it is made, and counts nothing', async () => {
    const r = await run('tooLargeTensor');
    expect(r.error?.name).toBe('WebgradError');
    expect(r.error?.message).toContain(`zeros: a tensor of shape [${r.elements}] needs`);
    expect(r.error?.message).toMatch(/maxBufferSize|maxStorageBufferBindingSize/);
    expectNoTrace(r);
  });

  it("refuses an op's output over the limit naming the op (matmul), not an internal allocation", async () => {
    const r = await run('tooLargeOutput');
    expect(r.error?.name).toBe('WebgradError');
    expect(r.error?.message).toMatch(new RegExp(`^matmul: a tensor of shape \\[${r.n}, ${r.n}\\] needs`));
    expect(r.dispatches).toBe(0);
    expect(r.liveBytes).toBe(0);
    expect(r.syncError).toBeNull();
  });

  it('refuses a dispatch over maxComputeWorkgroupsPerDimension at the op, naming the kernel and shapes', async () => {
    const n = 524_281; // 2n rows, 16 per workgroup: 65,536 workgroups along x
    const r = await run('tooManyWorkgroups', { n });
    expect(r.limit).toBe(65535);
    expect(r.error?.name).toBe('WebgradError');
    expect(r.error?.message).toMatch(/^infonce_normalize_vec4: needs 65536×1×1 workgroups.*at most 65535/);
    expect(r.error?.message).toContain(`[${n}, 4]`);
    expect(r.dispatches).toBe(0);
    expect(r.syncError).toBeNull();
  });

  it('refuses a tensor that fits maxBufferSize but not maxStorageBufferBindingSize', async () => {
    const r = await run('bindingLimit');
    expect(r.limits.binding).toBeLessThan(160_000_000);
    expect(r.limits.buffer).toBeGreaterThan(160_000_000);
    expect(r.error?.name).toBe('WebgradError');
    expect(r.error?.message).toMatch(
      /^zeros: a tensor of shape \[40000000\] needs 160000000 bytes.*maxStorageBufferBindingSize/,
    );
    expectNoTrace(r);
    expect(r.dispatchError?.name).toBe('WebgradError');
    expect(r.dispatchError?.message).toMatch(
      /^poke: storage buffer 0 holds 160000000 bytes.*maxStorageBufferBindingSize/,
    );
    expect(r.dispatchSync).toBeNull();
  });
});

describe('buffer pool', () => {
  it('keeps at most its byte cap, destroying the least recently freed buffers first', async () => {
    const cap = 3 * 65536 + 3 * 256 + 1024; // room for three of the four raw buffers
    const r = await run('poolCap', { cap });
    expect(r.liveAtStart).toBe(0);
    expect(r.afterFour).toEqual({ pooledBuffers: 3, pooledBytes: 3 * 65536 + (1 + 2 + 3) * 256 });
    expect(r.reused).toBe(0);
    expect(r.remade).toBe(1);
    expect(r.highWater).toBeGreaterThan(0);
    expect(r.highWater).toBeLessThanOrEqual(cap);
    expect(r.unaccounted).toBe(0);
  });

  it('keeps a working set larger than its cap, so a training step does not remake its buffers every step', async () => {
    const r = await run('poolWorkingSet', { cap: 65536, bytes: 65536 });
    // Four buffers live at once, freed together: all four stay pooled (the cap alone would keep one) and are reused.
    expect(r.steps.map((s: { pooledBuffers: number }) => s.pooledBuffers)).toEqual([4, 4, 4]);
    expect(r.steps[2].allocatedBuffers).toBe(r.steps[0].allocatedBuffers);
    expect(r.afterTrim).toBe(0);
    expect(r.afterSmallStep).toBe(1); // 64 KiB then 128 KiB, one at a time: only the 128 KiB one stays
  });

  // The case: predictSentiment on growing batch sizes pooled 582 MB for B = 1..40 with 1 MB live. Here B = 1..10
  // under a 16 MiB cap (it pools more than that uncapped); WEBGRAD_POOL_MAXB=40 WEBGRAD_POOL_CAP=default measures the
  // issue's case under the default cap, WEBGRAD_POOL_CAP=Infinity without one.
  it('keeps predictSentiment over many batch sizes under the cap', async () => {
    const maxB = Number(process.env.WEBGRAD_POOL_MAXB ?? 10);
    const capEnv = process.env.WEBGRAD_POOL_CAP; // 'default', or bytes ('Infinity': uncapped, as before the fix)
    // (Infinity does not survive the JSON trip into the page; the largest double stands for it.)
    const cap =
      capEnv === undefined ? 16 << 20 : capEnv === 'default' ? undefined : Math.min(Number(capEnv), Number.MAX_VALUE);
    const r = await run('predictPoolHighWater', { maxB, cap });
    console.log(
      `predictSentiment, DAR small, B = 1..${maxB}: pool high-water ${r.pooledHighWater} bytes under a cap of ` +
        `${r.cap}; allocated high-water ${r.allocatedHighWater}; ${(r.ms / 1000).toFixed(1)} s`,
    );
    expect(r.pooledHighWater).toBeLessThanOrEqual(r.cap);
    expect(r.liveBytes).toBe(0);
  });

  it('defaults to a 256 MiB cap, configurable through init options and setPoolLimit', async () => {
    const r = await run('poolDefaults');
    expect(r.defaultLimit).toBe(256 * 1024 * 1024);
    expect(r.constant).toBe(256 * 1024 * 1024);
    expect(r.optionLimit).toBe(1 << 20);
    expect(r.badLimit?.name).toBe('WebgradError');
  });
});

describe('autograd and scopes', () => {
  it('backward() through a tensor a tidy() disposed is a WebgradError before any gradient is made', async () => {
    const r = await run('backwardAfterTidy');
    expect(r.error?.name).toBe('WebgradError');
    expect(r.error?.message).toMatch(/^backward: an input of relu was disposed before backward\(\).*tidy\(\).*\[4\]/);
    expect(r.leaked).toBe(0);
    expect(r.gradMade).toBe(false);
  });

  it('refuses a tidyAsync() that ends while an overlapping one is open, and leaks nothing', async () => {
    // The first call's result is made inside the second call's scope, and the first call ends first.
    const r = await run('overlappingTidyAsync', { first: [5, 0], second: 60 });
    expect(r.first?.name).toBe('WebgradError');
    expect(r.first?.message).toMatch(
      /^tidyAsync: this call overlapped another tidyAsync\(\) and was refused: it ended while/,
    );
    expect(r.second).toBeNull();
    expect(r.useSecond).toBeNull();
    expect(r.leaked).toBe(0);
  });

  it('refuses a tidyAsync() whose result an overlapping call disposed when it ended first', async () => {
    // The first call's result is made inside the second call's scope, which ends (disposing it) before the first.
    const r = await run('overlappingTidyAsync', { first: [5, 60], second: 30 });
    expect(r.first?.name).toBe('WebgradError');
    expect(r.first?.message).toMatch(/refused: its result holds a tensor already disposed/);
    expect(r.second).toBeNull();
    // The second call's result went to the first call's scope (as if nested), so it went with it; a use says why.
    expect(r.useSecond?.message).toMatch(/disposed when a tidyAsync\(\) ended.*overlapped/);
    expect(r.leaked).toBe(0);
  });

  it('an overlapping tidyAsync() that ends first: using its disposed result names the overlap', async () => {
    // The second call's result goes to the first call's scope (as if nested) and is disposed when the first ends.
    const r = await run('overlappingTidyAsync', { first: [60, 0], second: 5 });
    expect(r.first).toBeNull();
    expect(r.second).toBeNull();
    expect(r.useFirst).toBeNull();
    expect(r.useSecond?.name).toBe('WebgradError');
    expect(r.useSecond?.message).toMatch(/disposed when a tidyAsync\(\) ended.*overlapped/);
    expect(r.leaked).toBe(0);
  });

  it('a tidyAsync() nested in another is fine', async () => {
    const r = await run('nestedTidyAsync');
    expect(r.values).toEqual([10, 10, 10]);
    expect(r.leaked).toBe(0);
  });
});

describe('device loss', () => {
  it('turns every call after device.lost into a DeviceLostError naming the reason, and init() starts again', async () => {
    const r = await run('deviceLoss');
    expect(r.lostBefore).toBeNull();
    for (const [k, op] of [
      ['readInFlight', 'read'],
      ['op', 'mul'],
      ['create', 'zeros'],
      ['upload', 'tensor'],
      ['read', 'read'],
      ['sync', 'sync'],
    ] as const) {
      const e = k === 'readInFlight' ? r.readInFlight : r.calls[k];
      expect(e?.name, k).toBe('DeviceLostError');
      expect(e?.message, k).toMatch(new RegExp(`^${op}: the GPU device was lost \\(destroyed.*init\\(\\) again`));
    }
    expect(r.dispose).toBeNull();
    expect(r.heard).toHaveLength(1);
    expect(r.heard[0].reason).toBe('destroyed');
    expect(r.lateListener).toEqual(r.heard[0]);
    expect(r.lostAfter).toEqual(r.heard[0]);
    expect(r.restartedLost).toBeNull();
    expect(r.values).toEqual([1, 1, 1]);
    expect(r.staleUse.op?.name).toBe('DeviceLostError');
    expect(r.staleUse.op?.message).toMatch(/^add: the GPU device was lost/);
    expect(r.staleUse.read?.name).toBe('DeviceLostError');
    expect(r.syncAfter).toBeNull();
    expect(r.liveAfter).toBe(0);
  });
});
