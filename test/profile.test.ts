// The runtime's per-kernel profile (src/engine/profile.ts, Runtime.startProfile / stopProfile / profile): exact dispatch
// counts per kernel for a known op sequence, finite non-negative times whose shares sum to 1, both time sources
// (GPU timestamps and the wall-clock fallback), batches of more dispatches than one submit holds, and nothing left
// alive or changed on the hot path when profiling is off.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from './page';
import type { Counters, Profile } from '../src/engine/index';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

/**
 * Runs `body` in the page as an async function of (wg, args), as a string so no test transform touches it. T is what
 * the body returns: the compiler cannot read a string, so each call states it.
 */
function inPage<T>(body: string, args: unknown = {}): Promise<T> {
  return page.page.evaluate<[], () => T>(`(async (wg, args) => { ${body} })(globalThis.wg, ${JSON.stringify(args)})`);
}

// In the page: inputs made (and the pipelines compiled) before profiling, then a known sequence of ops:
// `mm` matmuls (matmul_tiled), `adds` same-shape adds (binary), one relu (unary). Returns the profile, the runtime
// counters around it, and the query sets alive while profiling.
const SEQUENCE = `
  const rt = wg.runtime();
  const a = wg.randn([33, 17], { seed: 1 }).keep();
  const b = wg.randn([17, 65], { seed: 2 }).keep();
  const record = () => wg.tidy(() => {
    for (let i = 0; i < args.mm; i++) wg.matmul(a, b);
    let y = wg.zeros([33, 65]);
    for (let i = 0; i < args.adds; i++) y = wg.add(y, y);
    wg.relu(y);
  });
  record();                      // warm-up: pipelines and pooled buffers exist from here on
  await rt.sync();
  const before = rt.stats();
  rt.startProfile(args.opts ?? {});
  const profilingDuring = rt.profiling;
  record();
  const querySetsDuring = rt.stats().querySets;
  const profile = await rt.stopProfile();
  const after = rt.stats();
  a.dispose();
  b.dispose();
  await rt.sync();
  return { profile, before, after, querySetsDuring, profilingDuring, profilingAfter: rt.profiling,
    hasTimestamps: rt.adapter.features.includes('timestamp-query'), table: wg.formatProfile(profile, 2) };
`;

/** What SEQUENCE returns. */
interface SequenceResult {
  profile: Profile;
  before: Counters;
  after: Counters;
  querySetsDuring: number;
  profilingDuring: boolean;
  profilingAfter: boolean;
  hasTimestamps: boolean;
  table: string;
}

function checkProfile(r: SequenceResult, mm: number, adds: number) {
  const rows = r.profile.kernels;
  const byName = Object.fromEntries(rows.map((k) => [k.kernel, k]));
  // zeros() is a fill dispatch; everything else is the sequence itself.
  expect(byName.matmul_tiled?.dispatches).toBe(mm);
  expect(byName.binary?.dispatches).toBe(adds);
  expect(byName.unary?.dispatches).toBe(1);
  const total = rows.reduce((s, k) => s + k.dispatches, 0);
  expect(r.profile.dispatches).toBe(total);
  expect(r.after.dispatches - r.before.dispatches).toBe(total);
  for (const k of rows) {
    expect(Number.isFinite(k.totalMs) && k.totalMs >= 0, `${k.kernel} totalMs ${k.totalMs}`).toBe(true);
    expect(Number.isFinite(k.meanUs) && k.meanUs >= 0, `${k.kernel} meanUs ${k.meanUs}`).toBe(true);
    expect(k.meanUs).toBeCloseTo((1000 * k.totalMs) / k.dispatches, 6);
  }
  expect(r.profile.totalMs).toBeGreaterThan(0); // 20+ kernels cannot all take no time
  expect(rows.reduce((s, k) => s + k.share, 0)).toBeCloseTo(1, 9);
  expect(r.profile.totalMs).toBeCloseTo(
    rows.reduce((s, k) => s + k.totalMs, 0),
    9,
  );
  // Slowest first.
  for (let i = 1; i < rows.length; i++) expect(rows[i - 1].totalMs).toBeGreaterThanOrEqual(rows[i].totalMs);
  expect(r.profilingDuring).toBe(true);
  expect(r.profilingAfter).toBe(false);
  // Nothing of the profiler outlives it.
  expect(r.after.querySets).toBe(0);
  expect(r.before.querySets).toBe(0);
  expect(r.table).toContain(rows[0].kernel);
}

describe('profile', () => {
  it('counts every dispatch per kernel and times it with GPU timestamps', async () => {
    const r = await inPage<SequenceResult>(SEQUENCE, { mm: 3, adds: 4 });
    expect(r.hasTimestamps, 'this machine offers timestamp-query; acquireDevice must request it').toBe(true);
    expect(r.profile.source).toBe('timestamp');
    checkProfile(r, 3, 4);
    expect(r.querySetsDuring).toBe(1);
    // Its query set and two buffers are destroyed; the sequence itself allocated nothing new after the warm-up.
    expect(r.after.allocatedBuffers).toBe(r.before.allocatedBuffers);
    expect(r.after.allocatedBytes).toBe(r.before.allocatedBytes);
  });

  it('spans several batches (more dispatches than one submit holds) and reuses query sets', async () => {
    const r = await inPage<SequenceResult>(SEQUENCE, { mm: 150, adds: 5 }); // batchSize 64: three submits at least
    expect(r.profile.source).toBe('timestamp');
    checkProfile(r, 150, 5);
    expect(r.profile.submits).toBeGreaterThanOrEqual(3);
    expect(r.after.querySets).toBe(0);
  });

  it('falls back to wall clock per submit (one submit per dispatch)', async () => {
    const r = await inPage<SequenceResult>(SEQUENCE, { mm: 2, adds: 3, opts: { mode: 'wall' } });
    expect(r.profile.source).toBe('wall');
    checkProfile(r, 2, 3);
    expect(r.profile.submits).toBeGreaterThanOrEqual(r.profile.dispatches);
    expect(r.querySetsDuring).toBe(0);
  });

  it('off by default: no query sets, one submit for a short sequence, identical results', async () => {
    const r = await inPage<{
      plain: number[];
      profiled: number[];
      submits: number;
      dispatches: number;
      querySets: number[];
      profiling: boolean;
    }>(`
      const rt = wg.runtime();
      await rt.sync();
      const s0 = rt.stats();
      const out = await wg.tidyAsync(async () => {
        const a = wg.randn([9, 5], { seed: 3 });
        const b = wg.randn([5, 7], { seed: 4 });
        const plain = await wg.relu(wg.matmul(a, b)).toArray();
        const { result } = await rt.profile(() => wg.relu(wg.matmul(a, b)).toArray());
        return { plain: Array.from(plain), profiled: Array.from(await result) };
      });
      await rt.sync();
      const s1 = rt.stats();
      // A sequence recorded with profiling off goes out in one submit, as without the profiler.
      const s2 = rt.stats();
      wg.tidy(() => { const x = wg.zeros([4, 4]); for (let i = 0; i < 5; i++) wg.add(x, x); });
      await rt.sync();
      const s3 = rt.stats();
      return { ...out, s0, s1, submits: s3.submits - s2.submits, dispatches: s3.dispatches - s2.dispatches,
        querySets: [s0.querySets, s1.querySets, s3.querySets], profiling: rt.profiling };
    `);
    expect(r.profiled).toEqual(r.plain);
    expect(r.querySets).toEqual([0, 0, 0]);
    expect(r.profiling).toBe(false);
    expect(r.dispatches).toBe(6);
    expect(r.submits).toBe(1);
  });

  it('rejects nested or unmatched calls and stops when the profiled function throws', async () => {
    const r = await inPage<{ errs: string[]; thrown: string; profiling: boolean; querySets: number }>(`
      const rt = wg.runtime();
      const errs = [];
      try { await rt.stopProfile(); } catch (e) { errs.push(e.message); }
      rt.startProfile();
      try { rt.startProfile(); } catch (e) { errs.push(e.message); }
      await rt.stopProfile();
      let thrown = '';
      try { await rt.profile(() => { throw new Error('boom'); }); } catch (e) { thrown = e.message; }
      try { rt.startProfile({ mode: 'timestamp' }); await rt.stopProfile(); } catch (e) { errs.push('unexpected: ' + e.message); }
      return { errs, thrown, profiling: rt.profiling, querySets: rt.stats().querySets };
    `);
    expect(r.errs).toHaveLength(2);
    expect(r.errs[0]).toContain('no profile is running');
    expect(r.errs[1]).toContain('already running');
    expect(r.thrown).toBe('boom');
    expect(r.profiling).toBe(false);
    expect(r.querySets).toBe(0);
  });
});
