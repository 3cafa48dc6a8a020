// memory() and trimPool() (src/engine/memory.ts): live tensors (views included), live and pooled buffers and bytes,
// the pool cap; flat across the steps of a tidy() training loop; trimPool() empties the pool and keeps live tensors.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, type TestPage } from './page';

let page: TestPage;
beforeAll(async () => {
  page = await openPage();
});
afterAll(() => page?.close());

const inPage = <T>(body: string): Promise<T> =>
  page.page.evaluate(`(async () => { const wg = globalThis.wg; ${body} })()`) as Promise<T>;

describe('memory()', () => {
  it('counts live tensors, buffers and bytes, then pooled ones, and trimPool() empties the pool', async () => {
    const r = await inPage<Record<string, Record<string, number>>>(`
      await wg.runtime().sync();
      wg.trimPool();
      const m0 = wg.memory();
      const a = wg.zeros([100]);           // 400 bytes
      const b = wg.zeros([7, 3]);          // 84 bytes
      const v = wg.reshape(b, [21]);       // a view: one more tensor, no new buffer
      const m1 = wg.memory();
      a.dispose(); b.dispose(); v.dispose();
      await wg.runtime().sync();
      const m2 = wg.memory();
      const keep = wg.ones([5]);
      wg.trimPool();
      const m3 = wg.memory();
      keep.dispose();
      const d = (x, y) => Object.fromEntries(Object.keys(x).map((k) => [k, x[k] - y[k]]));
      return { added: d(m1, m0), freed: d(m2, m1), trimmed: m3, base: m0 };
    `);
    expect(r.added.liveTensors).toBe(3);
    expect(r.added.liveBuffers).toBe(2);
    expect(r.added.liveBytes).toBeGreaterThanOrEqual(400 + 84);
    expect(r.freed.liveTensors).toBe(-3);
    expect(r.freed.liveBuffers).toBe(-2);
    // Their two buffers go to the pool (with any the sync itself released, e.g. a uniform or staging buffer).
    expect(r.freed.pooledBuffers).toBeGreaterThanOrEqual(2);
    expect(r.freed.pooledBytes).toBeGreaterThanOrEqual(-r.freed.liveBytes);
    expect(r.trimmed.pooledBuffers).toBe(0);
    expect(r.trimmed.pooledBytes).toBe(0);
    expect(r.trimmed.liveTensors).toBe(r.base.liveTensors + 1);
    expect(r.base.poolLimit).toBe(256 * 1024 * 1024);
  });

  it('stays flat over the steps of a tidy() training loop', async () => {
    const r = await inPage<{ tensors: number[]; bytes: number[] }>(`
      const model = new wg.Linear(3, 2, { seed: 1 });
      const opt = new wg.AdamW(model.parameters(), { lr: 1e-2 });
      const x = wg.randn([8, 3], { seed: 2 });
      const y = wg.randn([8, 2], { seed: 3 });
      const tensors = [], bytes = [];
      for (let step = 0; step < 4; step++) {
        wg.tidy(() => { const l = wg.mseLoss(model.forward(x), y); l.backward(); opt.step(); model.zeroGrad(); });
        await wg.runtime().sync();
        const m = wg.memory();
        tensors.push(m.liveTensors);
        bytes.push(m.liveBytes);
      }
      model.dispose(); x.dispose(); y.dispose();
      return { tensors, bytes };
    `);
    // Step 0 creates the optimizer's state; from then on nothing accumulates.
    expect(new Set(r.tensors.slice(1)).size).toBe(1);
    expect(new Set(r.bytes.slice(1)).size).toBe(1);
  });
});
